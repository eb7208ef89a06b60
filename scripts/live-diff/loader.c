// SPDX-License-Identifier: GPL-2.0-only
// Loads each program of a BPF object into the running kernel, one at a time,
// and prints what the kernel's verifier said as one JSON line per program:
//   {"program":..., "loaded":bool, "errno":N, "log":"..."}
// Built and run by scripts/live-diff.mjs (needs root and libbpf-dev).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

static char log_buf[16 << 20];

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') printf("\\%c", c);
		else if (c == '\n') printf("\\n");
		else if (c == '\t') printf("\\t");
		else if (c < 0x20) printf("\\u%04x", c);
		else putchar(c);
	}
	putchar('"');
}

static int silent(enum libbpf_print_level l, const char *f, va_list a) { (void)l; (void)f; (void)a; return 0; }

int main(int argc, char **argv)
{
	int log_level = argc > 2 ? atoi(argv[2]) : 5;
	struct bpf_object *obj;
	struct bpf_program *p;
	char **names = NULL;
	int n = 0, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJ [LOG_LEVEL]\n", argv[0]);
		return 2;
	}
	libbpf_set_print(silent);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		names = realloc(names, sizeof(*names) * (n + 1));
		names[n++] = strdup(bpf_program__name(p));
	}
	bpf_object__close(obj);

	for (i = 0; i < n; i++) {
		int err;

		obj = bpf_object__open_file(argv[1], NULL);
		if (!obj)
			return 1;
		bpf_object__for_each_program(p, obj) {
			int me = !strcmp(bpf_program__name(p), names[i]);

			bpf_program__set_autoload(p, me);
			if (me) {
				log_buf[0] = 0;
				bpf_program__set_log_level(p, log_level);
				bpf_program__set_log_buf(p, log_buf, sizeof(log_buf));
			}
		}
		err = bpf_object__load(obj);
		printf("{\"program\":");
		json_str(names[i]);
		printf(",\"loaded\":%s,\"errno\":%d,\"log\":", err ? "false" : "true", err ? -err : 0);
		json_str(log_buf);
		printf("}\n");
		fflush(stdout);
		bpf_object__close(obj);
	}
	return 0;
}
