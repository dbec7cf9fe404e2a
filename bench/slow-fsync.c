// A slow disk for the benchmark: preloaded into a process, it makes every fsync and fdatasync wait
// FSYNC_DELAY_US microseconds (default 5000) before doing the real one. Network block storage
// takes milliseconds per fsync where this machine's local disk takes ~0.4 ms. Used for
// docs/performance.md "The log's fsync off the event loop":
//
//   gcc -shared -fPIC -O2 -o /tmp/slow-fsync.so bench/slow-fsync.c -ldl
//   LD_PRELOAD=/tmp/slow-fsync.so FSYNC_DELAY_US=5000 BENCH_SCENARIOS=refresh_token npm run bench
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t delay(void) {
  const char *value = getenv("FSYNC_DELAY_US");
  return value ? (useconds_t)atoi(value) : 5000;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  usleep(delay());
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  usleep(delay());
  return real(fd);
}
