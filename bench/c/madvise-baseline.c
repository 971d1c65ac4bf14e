// The baseline for bench/linux: the same system calls reclaimd makes, in plain C.
// pidfd_open, read /proc/PID/maps, keep the VMAs of the wanted kind (same filter as
// host/linux/procfs.ts), process_madvise(MADV_PAGEOUT) in batches of 1024 iovecs.
// File mode reads /proc/PID/pagemap for the file VMAs as host/linux/pagemap.ts does:
// ranges cut around written (anonymous) pages, a range with no exclusive page not sent.
// Prints "<bytes advised> <nanoseconds>".
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#define MADV_PAGEOUT_ 21

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: madvise-baseline PID file|anon|all\n"); return 2; }
  int pid = atoi(argv[1]);
  const char *kind = argv[2];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) { perror("pidfd_open"); return 1; }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *maps = fopen(path, "r");
  if (!maps) { perror("maps"); return 1; }
  static struct iovec iov[1024];
  size_t n = 0;
  long long total = 0;
  snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
  int pagemap = !strcmp(kind, "file") ? open(path, O_RDONLY) : -1;
  static uint64_t entries[65536];
  long page = sysconf(_SC_PAGESIZE);
  char line[4096];
  while (fgets(line, sizeof line, maps)) {
    unsigned long start, end, inode;
    char perms[8], name[4096] = "";
    if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %4095[^\n]", &start, &end, perms, &inode, name) < 4) continue;
    char *p = name;
    while (*p == ' ') p++;
    if (!strcmp(p, "[vdso]") || !strcmp(p, "[vvar]") || !strcmp(p, "[vsyscall]") || !strcmp(p, "[vvar_vclock]")) continue;
    if (perms[0] != 'r' && perms[1] != 'w' && perms[2] != 'x') continue;
    int is_file = inode != 0 && p[0] == '/' && strncmp(p, "/memfd:", 7) && strncmp(p, "/dev/", 5);
    if (!strcmp(kind, "file") && !is_file) continue;
    if (!strcmp(kind, "anon") && is_file) continue;
#define PUSH(base, len)                                                    \
  do {                                                                     \
    iov[n].iov_base = (void *)(base);                                      \
    iov[n].iov_len = (len);                                                \
    if (++n == 1024) {                                                     \
      long r = syscall(SYS_process_madvise, pidfd, iov, n, MADV_PAGEOUT_, 0); \
      if (r > 0) total += r;                                               \
      n = 0;                                                               \
    }                                                                      \
  } while (0)
    if (pagemap < 0) {
      PUSH(start, end - start);
      continue;
    }
    unsigned long pages = (end - start) / page, run = (unsigned long)-1;
    int movable = 0;
    for (unsigned long done = 0; done < pages;) {
      unsigned long want = pages - done < 65536 ? pages - done : 65536;
      ssize_t got = pread(pagemap, entries, want * 8, (off_t)((start / page + done) * 8)) / 8;
      if (got <= 0) break;
      for (ssize_t i = 0; i < got; i++) {
        uint64_t e = entries[i];
        unsigned long at = done + i;
        if ((e >> 63 & 1) && !(e >> 61 & 1)) {
          if (run != (unsigned long)-1 && movable) PUSH(start + run * page, (at - run) * page);
          run = (unsigned long)-1, movable = 0;
          continue;
        }
        if (run == (unsigned long)-1) run = at;
        if ((e >> 63 & 1) && (e >> 56 & 1)) movable = 1;
      }
      done += got;
    }
    if (run != (unsigned long)-1 && movable) PUSH(start + run * page, (pages - run) * page);
  }
  if (n) {
    long r = syscall(SYS_process_madvise, pidfd, iov, n, MADV_PAGEOUT_, 0);
    if (r > 0) total += r;
  }
  fclose(maps);
  if (pagemap >= 0) close(pagemap);
  close(pidfd);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%lld %lld\n", total, (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
  return 0;
}
