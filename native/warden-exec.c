/*
 * warden-exec REPORT_FD CGROUP_DIR PATH ARGV0 [ARG...]
 *
 * Starts PATH (with ARGV0 ARG... and this process's environment, fds and cwd) as a process
 * born inside the cgroup CGROUP_DIR and whose parent is this process's parent, then exits.
 *
 * Why: moving a running process into a cgroup (a write to cgroup.procs) makes the kernel wait
 * for an RCU grace period, 10 to 20 ms after a quiet spell; clone3(2) with CLONE_INTO_CGROUP
 * (Linux 5.7) places the child at fork, with no migration, so nothing it forks can escape
 * either. CLONE_PARENT (clone(2)) makes the warden daemon the new process's parent, so it
 * reaps it and reads its exit status as for any child; no helper stays behind.
 *
 * The new process calls setsid(2) (its own session and process group), then execve(2); a file
 * that is no executable format (ENOEXEC) runs as `/bin/sh PATH ARG...`, as execvp(3) does.
 * Lines written to REPORT_FD (close-on-exec here, never seen by the new process):
 *   "pid PID"         at once after the fork: the new process is PID;
 *   "exec ERRNO"      written by the new process itself if its execve failed (ENOENT for a
 *                     missing #! interpreter, EACCES on a noexec mount...), before it exits
 *                     127: the line is there by the time the daemon reaps it;
 *   "clone ERRNO"     instead of both, when clone3 or the cgroup failed (ENOSYS before Linux
 *                     5.7): nothing was started.
 * The caller need not wait for the exec: it reads the rest of the report when the new process
 * has ended. Exit status: 0, or 125 on a usage error (as env(1)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void report(int fd, const char *what, long value) {
  char line[64];
  int n = snprintf(line, sizeof line, "%s %ld\n", what, value);
  while (write(fd, line, (size_t)n) < 0 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fputs("usage: warden-exec REPORT_FD CGROUP_DIR PATH ARGV0 [ARG...]\n", stderr);
    return 125;
  }
  int out = atoi(argv[1]);
  if (fcntl(out, F_SETFD, FD_CLOEXEC) < 0) return 125;
  int cgroup = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup < 0) {
    report(out, "clone", errno);
    return 0;
  }
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_INTO_CGROUP | CLONE_PARENT;
  args.cgroup = (unsigned long long)cgroup;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) {
    report(out, "clone", errno);
    return 0;
  }
  if (pid == 0) {
    setsid();
    execve(argv[3], argv + 4, environ);
    if (errno == ENOEXEC) {
      /* /bin/sh PATH ARG...: argv[4] (ARGV0) gives way to the script's path. */
      char **sh = calloc((size_t)argc, sizeof *sh);
      if (sh != NULL) {
        sh[0] = "/bin/sh";
        sh[1] = argv[3];
        for (int i = 5; i < argc; i++) sh[i - 3] = argv[i];
        execve("/bin/sh", sh, environ);
      }
    }
    /* Written before it exits, so the line is there when the daemon reaps it. */
    report(out, "exec", errno);
    _exit(127);
  }
  report(out, "pid", pid);
  return 0;
}
