/*
 * Replay a libFuzzer corpus without libFuzzer: every file named, or every
 * file in every directory named, goes through LLVMFuzzerTestOneInput once.
 * make check runs this (under ASan and UBSan with --enable-sanitizers).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	/* Exactly n bytes, so that ASan sees any read past the end. */
	buf = malloc(n > 0 ? n : 1);
	if (buf == NULL || fread(buf, 1, n, fp) != (size_t)n) {
		perror(path);
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int	count = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat	 st;
		DIR		*d;
		struct dirent	*e;
		char		 path[4096];

		if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			bad |= replay_file(argv[i]) < 0;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
			bad |= replay_file(path) < 0;
			count++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", count);
	return bad || count == 0;
}
