/*
 * warden-spawner: the warden daemon's fork server for cgroup containment.
 *
 * Started by the daemon with a SOCK_SEQPACKET socket at fd 3; it serves one start per message
 * until the socket ends (the daemon is gone), then exits 0. Each start is born in its leaf
 * cgroup (clone3 with CLONE_INTO_CGROUP, Linux 5.7) and is the daemon's child (CLONE_PARENT),
 * without an exec of a helper per start: the daemon sends a message and reads the pid back, in
 * about 0.1 ms.
 *
 * A request is one message: NUL-terminated fields
 *   CGROUP_DIR  PATH  CWD  TARGETS  ARGC  ARGV0 ... ARGV[ARGC-1]  ENV ...
 * where TARGETS lists, comma-separated, the fd number in the new process of each fd that came
 * with the message (SCM_RIGHTS), in order; one more fd comes last: the request's report pipe.
 * The new process calls setsid(2), gets exactly its TARGETS fds (fd 0 on /dev/null unless
 * given), enters CWD and execs PATH with ARGV and ENV (a file that is no executable format runs
 * as `/bin/sh PATH ARG...`, as execvp(3) does). If that fails it writes `exec ERRNO` to the
 * report pipe and exits 127; the pipe is close-on-exec, so its EOF says the exec happened.
 * The reply, one message: `pid PID`; `clone ERRNO` when nothing was started; `bad EINVAL` for a
 * request it cannot read (too many fds, an fd number above 1023, a field missing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SOCKET_FD 3
/* At most this many fds a request (the kernel's SCM_MAX_FD is 253), each at most MAX_FD_NUMBER. */
#define MAX_FDS 64
#define MAX_FD_NUMBER 1023
#define MAX_REQUEST (1024 * 1024)
/* serve()'s answer to a request it cannot read (clone3's own errors are -errno). */
#define BAD_REQUEST (-100000L)

static void reply(const char *what, long value) {
  char line[64];
  int n = snprintf(line, sizeof line, "%s %ld", what, value);
  while (send(SOCKET_FD, line, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

/* In the new process: `exec ERRNO` on the report pipe, then exit 127. */
static void fail(int report, int error) {
  char line[32];
  int n = snprintf(line, sizeof line, "exec %d\n", error);
  while (write(report, line, (size_t)n) < 0 && errno == EINTR) {
  }
  _exit(127);
}

/* The new process, between clone3 and execve (a fork of this single-threaded server). */
static void start(const char *path, const char *cwd, char **argv, char **envp, const int *fds,
                  const int *targets, int ntargets, int report) {
  setsid();
  int top = 2;
  for (int i = 0; i < ntargets; i++)
    if (targets[i] > top) top = targets[i];
  /* Every fd above the targets first, so that no dup2 overwrites a source still needed. */
  int moved[MAX_FDS];
  for (int i = 0; i < ntargets; i++) {
    moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, top + 1);
    if (moved[i] < 0) fail(report, errno);
  }
  int kept = fcntl(report, F_DUPFD_CLOEXEC, top + 1);
  if (kept < 0) fail(report, errno);
  report = kept;
  char given[MAX_FD_NUMBER + 1] = {0};
  for (int i = 0; i < ntargets; i++) {
    if (dup2(moved[i], targets[i]) < 0) fail(report, errno);
    given[targets[i]] = 1;
  }
  if (!given[0]) {
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0) fail(report, errno);
    if (null != 0) close(null);
  }
  for (int fd = 1; fd <= top; fd++)
    if (!given[fd]) close(fd);
  /* Everything above the targets goes at the exec (the report pipe among them). */
  if (syscall(SYS_close_range, top + 1, ~0U, 4 /* CLOSE_RANGE_CLOEXEC, Linux 5.11 */) < 0) {
    for (int fd = top + 1; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (chdir(cwd) < 0) fail(report, errno);
  execve(path, argv, envp);
  if (errno == ENOEXEC) {
    int argc = 0;
    while (argv[argc] != NULL) argc++;
    char **sh = calloc((size_t)argc + 2, sizeof *sh);
    if (sh != NULL) {
      sh[0] = "/bin/sh";
      sh[1] = (char *)path;
      for (int i = 1; i < argc; i++) sh[i + 1] = argv[i];
      execve("/bin/sh", sh, envp);
    }
  }
  fail(report, errno);
}

/* Splits the request into its NUL-terminated fields. @returns their count, or -1 */
static int split(char *buf, size_t len, char ***out) {
  if (len == 0 || buf[len - 1] != '\0') return -1;
  int n = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\0') n++;
  char **field = calloc((size_t)n + 1, sizeof *field);
  if (field == NULL) return -1;
  int k = 0;
  for (size_t i = 0; i < len; i += strlen(buf + i) + 1) field[k++] = buf + i;
  *out = field;
  return n;
}

/* "1,2,5" into targets. @returns their count, or -1 */
static int parse_targets(const char *list, int *targets) {
  int n = 0;
  for (const char *p = list; *p != '\0';) {
    char *end;
    long fd = strtol(p, &end, 10);
    if (end == p || fd < 0 || fd > MAX_FD_NUMBER || n == MAX_FDS) return -1;
    if (*end != ',' && *end != '\0') return -1;
    if (*end == ',' && end[1] == '\0') return -1;
    targets[n++] = (int)fd;
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

/* Starts one request's process. @returns its pid, -errno, or BAD_REQUEST */
static long serve(char **field, int nfields, const int *fds, int nfds) {
  int targets[MAX_FDS];
  int ntargets = nfields >= 5 ? parse_targets(field[3], targets) : -1;
  char *end = NULL;
  long argc = nfields >= 5 ? strtol(field[4], &end, 10) : 0;
  if (end == NULL || *end != '\0' || ntargets < 0 || ntargets + 1 != nfds || argc < 1 ||
      argc > nfields - 5)
    return BAD_REQUEST;
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  char **envp = calloc((size_t)(nfields - 5 - argc) + 1, sizeof *envp);
  long result = -ENOMEM;
  if (argv != NULL && envp != NULL) {
    memcpy(argv, field + 5, (size_t)argc * sizeof *argv);
    memcpy(envp, field + 5 + argc, (size_t)(nfields - 5 - argc) * sizeof *envp);
    int cgroup = open(field[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup < 0) {
      result = -errno;
    } else {
      struct clone_args args;
      memset(&args, 0, sizeof args);
      args.flags = CLONE_INTO_CGROUP | CLONE_PARENT;
      args.cgroup = (unsigned long long)cgroup;
      long pid = syscall(SYS_clone3, &args, sizeof args);
      if (pid == 0) start(field[1], field[2], argv, envp, fds, targets, ntargets, fds[nfds - 1]);
      result = pid < 0 ? -errno : pid;
      close(cgroup);
    }
  }
  free(argv);
  free(envp);
  return result;
}

int main(void) {
  static char buf[MAX_REQUEST];
  union {
    char bytes[CMSG_SPACE(sizeof(int) * (MAX_FDS + 1))];
    struct cmsghdr align;
  } control;
  for (;;) {
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    ssize_t len = recvmsg(SOCKET_FD, &msg, MSG_CMSG_CLOEXEC);
    if (len < 0 && errno == EINTR) continue;
    if (len <= 0) return 0; /* the daemon is gone */
    int fds[MAX_FDS + 1];
    int nfds = 0;
    int overflow = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        /* More than a request may carry: each is closed all the same, and the request refused. */
        if (nfds <= MAX_FDS)
          fds[nfds++] = fd;
        else {
          close(fd);
          overflow = 1;
        }
      }
    }
    char **field = NULL;
    int bad = overflow || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
    int nfields = bad ? -1 : split(buf, (size_t)len, &field);
    long pid = nfields < 0 ? BAD_REQUEST : serve(field, nfields, fds, nfds);
    if (pid == BAD_REQUEST)
      reply("bad", EINVAL); /* the request, not the kernel */
    else if (pid < 0)
      reply("clone", -pid);
    else
      reply("pid", pid);
    for (int i = 0; i < nfds; i++) close(fds[i]);
    free(field);
  }
}
