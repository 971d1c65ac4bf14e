// One app of a lab scenario, for real: ANON MiB of anonymous memory and a FILE MiB file
// mapping, all touched once at start. While in the foreground it touches its working set
// in passes (a frame every 20 ms) and reports each pass's duration; in the background it
// touches BG_RATE of its working set per second. Commands on stdin, one per line:
//   fg | bg | alloc MIB | free MIB | touch FRACTION | quit
// Reports on stdout: "ready", "pass <microseconds>", "touched".
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHUNKS 4096
static char *chunks[MAX_CHUNKS];
static size_t chunk_len[MAX_CHUNKS];
static int nchunks = 0;
static char *file_map = NULL;
static size_t file_len = 0;
static double ws = 0.3, bg_rate = 0.02;
static volatile char sink;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int alloc_mib(long mib) {
  if (mib <= 0 || nchunks >= MAX_CHUNKS) return 0;
  size_t len = (size_t)mib << 20;
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  for (size_t i = 0; i < len; i += 4096) p[i] = (char)((i >> 12) * 7 + nchunks) | 1;
  chunks[nchunks] = p;
  chunk_len[nchunks++] = len;
  return 0;
}

static void free_mib(long mib) {
  size_t want = (size_t)mib << 20;
  while (want > 0 && nchunks > 0) {
    size_t len = chunk_len[nchunks - 1];
    if (len <= want) {
      munmap(chunks[--nchunks], len);
      want -= len;
    } else {
      munmap(chunks[nchunks - 1] + len - want, want);
      chunk_len[nchunks - 1] = len - want;
      want = 0;
    }
  }
}

// Touch `share` of the working set (the first ws of every region), from offset `from`.
static void touch(double share, double from) {
  for (int c = 0; c < nchunks; c++) {
    size_t hot = (size_t)(chunk_len[c] * ws) & ~4095UL;
    size_t start = (size_t)(hot * from) & ~4095UL, len = (size_t)(hot * share) & ~4095UL;
    for (size_t i = 0; i < len; i += 4096) chunks[c][(start + i) % (hot ? hot : 4096)] += 1;
  }
  if (file_map) {
    size_t hot = (size_t)(file_len * ws) & ~4095UL;
    size_t start = (size_t)(hot * from) & ~4095UL, len = (size_t)(hot * share) & ~4095UL;
    for (size_t i = 0; i < len; i += 4096) sink += file_map[(start + i) % (hot ? hot : 4096)];
  }
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: lab-worker ANON_MIB FILE_MIB FILE_PATH WORKING_SET BG_RATE\n");
    return 2;
  }
  ws = atof(argv[4]);
  bg_rate = atof(argv[5]);
  if (alloc_mib(atol(argv[1])) != 0) { perror("mmap"); return 1; }
  file_len = (size_t)atol(argv[2]) << 20;
  if (file_len) {
    int fd = open(argv[3], O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)file_len) != 0) { perror("file"); return 1; }
    file_map = mmap(NULL, file_len, PROT_READ, MAP_SHARED, fd, 0);
    if (file_map == MAP_FAILED) { perror("mmap file"); return 1; }
    for (size_t i = 0; i < file_len; i += 4096) sink += file_map[i];
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  int fg = 0;
  double bg_from = 0, last_bg = now_us();
  char line[256];
  struct pollfd in = { .fd = 0, .events = POLLIN };
  for (;;) {
    int r = poll(&in, 1, fg ? 20 : 250);
    if (r > 0) {
      if (!fgets(line, sizeof line, stdin)) return 0; // the harness went away
      if (!strncmp(line, "fg", 2)) fg = 1;
      else if (!strncmp(line, "bg", 2)) fg = 0;
      else if (!strncmp(line, "alloc ", 6)) alloc_mib(atol(line + 6));
      else if (!strncmp(line, "free ", 5)) free_mib(atol(line + 5));
      else if (!strncmp(line, "touch ", 6)) { touch(atof(line + 6), 0); printf("touched\n"); }
      else if (!strncmp(line, "quit", 4)) return 0;
      continue;
    }
    if (fg) {
      double t0 = now_us();
      touch(1.0, 0);
      printf("pass %.0f\n", now_us() - t0);
    } else {
      double t = now_us(), share = bg_rate * (t - last_bg) / 1e6;
      last_bg = t;
      touch(share, bg_from);
      bg_from += share;
      if (bg_from >= 1) bg_from -= 1;
    }
  }
}
