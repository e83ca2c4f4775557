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
 *   CGROUP_DIR  PATH  CWD  CREDS  TARGETS  ARGC  ARGV0 ... ARGV[ARGC-1]  ENV ...  RLIMITS
 * where CGROUP_DIR is empty for a start outside any cgroup of warden's (process-group
 * containment); CREDS is empty, or `UID GID UMASK NNP CAPS GID,GID...` (decimal; UID, GID and
 * UMASK -1 to keep the server's, no GID list to keep its groups; NNP 0 or 1; CAPS a hex mask of
 * capability numbers): the new process calls umask(2), setgroups(2), setresgid(2),
 * setresuid(2) in that order (each only when given), keeps CAPS as ambient
 * capabilities across the uid change (capabilities(7)) and sets PR_SET_NO_NEW_PRIVS with NNP 1;
 * TARGETS lists, comma-separated, the fd number in the new process of each fd that came
 * with the message (SCM_RIGHTS), in order; one more fd comes last: the request's report pipe.
 * RLIMITS (always the last field, maybe empty) lists, comma-separated, `RESOURCE:SOFT:HARD`
 * (decimal; RESOURCE an RLIMIT_* number, -1 for RLIM_INFINITY): the new process calls
 * setrlimit(2) for each before it changes its user, so that root may raise a hard limit.
 * The new process calls setsid(2), gets exactly its TARGETS fds (fd 0 on /dev/null unless
 * given), enters CWD and execs PATH with ARGV and ENV (a file that is no executable format runs
 * as `/bin/sh PATH ARG...`, as execvp(3) does). If a step fails it writes `STEP ERRNO` to the
 * report pipe (`exec 2`, `chdir 13`, `setresuid 1`...) and exits 127; the pipe is
 * close-on-exec, so its EOF says the exec happened.
 * An ENV entry `LISTEN_PID=` (empty) becomes `LISTEN_PID=<the new process's pid>`: only the new
 * process knows its pid before the exec (sd_listen_fds(3)).
 * The reply, one message: `pid PID`; `clone ERRNO` when nothing was started; `bad EINVAL` for a
 * request it cannot read (too many fds, an fd number above 1023, a field missing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* In the new process: `STEP ERRNO` on the report pipe (`exec 2`, `chdir 13`: which step failed,
 * so that the daemon can name what the error is about), then exit 127. */
static void fail(int report, const char *step, int error) {
  char line[48];
  int n = snprintf(line, sizeof line, "%s %d\n", step, error);
  while (write(report, line, (size_t)n) < 0 && errno == EINTR) {
  }
  _exit(127);
}

#define MAX_GROUPS 256

/* Who the new process becomes (the CREDS field). */
struct creds {
  int given;
  long uid;
  long gid;
  long umask;
  int nnp;
  unsigned long long caps;
  gid_t groups[MAX_GROUPS];
  int ngroups;
};

/* `UID GID UMASK NNP CAPS GID,GID...` into c. @returns 0, or -1 for a malformed field */
static int parse_creds(const char *s, struct creds *c) {
  memset(c, 0, sizeof *c);
  if (*s == '\0') return 0;
  char *end;
  unsigned long long v[5];
  const char *p = s;
  for (int i = 0; i < 5; i++) {
    errno = 0;
    if (i == 4)
      v[i] = strtoull(p, &end, 16);
    else
      v[i] = (unsigned long long)strtol(p, &end, 10);
    if (end == p || *end != ' ' || errno != 0) return -1;
    p = end + 1;
  }
  c->given = 1;
  c->uid = (long)v[0];
  c->gid = (long)v[1];
  c->umask = (long)v[2];
  c->nnp = v[3] != 0;
  c->caps = v[4];
  while (*p != '\0') {
    unsigned long g = strtoul(p, &end, 10);
    if (end == p || c->ngroups == MAX_GROUPS || (*end != ',' && *end != '\0')) return -1;
    c->groups[c->ngroups++] = (gid_t)g;
    p = *end == ',' ? end + 1 : end;
  }
  return c->umask < -1 || c->umask > 0777 || c->uid < -1 || c->gid < -1 ? -1 : 0;
}

#define MAX_RLIMITS 16

/* The RLIMITS field: resource numbers and limits. */
struct rlimits {
  int n;
  int resource[MAX_RLIMITS];
  struct rlimit value[MAX_RLIMITS];
};

/* `RESOURCE:SOFT:HARD,...` into r. @returns 0, or -1 for a malformed field */
static int parse_rlimits(const char *s, struct rlimits *r) {
  r->n = 0;
  for (const char *p = s; *p != '\0';) {
    char *end;
    long long v[3];
    for (int i = 0; i < 3; i++) {
      errno = 0;
      v[i] = strtoll(p, &end, 10);
      if (end == p || errno != 0 || v[i] < -1) return -1;
      if (i == 2) break;
      if (*end != ':') return -1;
      p = end + 1;
    }
    if (r->n == MAX_RLIMITS || v[0] < 0 || v[0] >= RLIM_NLIMITS || (*end != ',' && *end != '\0'))
      return -1;
    r->resource[r->n] = (int)v[0];
    r->value[r->n].rlim_cur = v[1] < 0 ? RLIM_INFINITY : (rlim_t)v[1];
    r->value[r->n].rlim_max = v[2] < 0 ? RLIM_INFINITY : (rlim_t)v[2];
    r->n++;
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

/* In the new process: becomes the user of `c`, keeping its capabilities as ambient ones. */
static void become(const struct creds *c, int report) {
  if (!c->given) return;
  if (c->umask >= 0) umask((mode_t)c->umask);
  if (c->caps != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(report, "prctl", errno);
  if (c->ngroups > 0 && setgroups((size_t)c->ngroups, c->groups) < 0)
    fail(report, "setgroups", errno);
  gid_t gid = (gid_t)c->gid;
  uid_t uid = (uid_t)c->uid;
  if (c->gid >= 0 && setresgid(gid, gid, gid) < 0) fail(report, "setresgid", errno);
  if (c->uid >= 0 && setresuid(uid, uid, uid) < 0) fail(report, "setresuid", errno);
  if (c->caps != 0) {
    /* Permitted, effective and inheritable: an ambient capability must be in the last two. */
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int i = 0; i < 2; i++) {
      __u32 bits = (__u32)(c->caps >> (32 * i));
      data[i].permitted = data[i].effective = data[i].inheritable = bits;
    }
    if (syscall(SYS_capset, &head, data) < 0) fail(report, "capset", errno);
    for (int cap = 0; cap < 64; cap++)
      if ((c->caps >> cap) & 1ULL)
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
          fail(report, "prctl", errno);
  }
  if (c->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(report, "prctl", errno);
}

/* In the new process: `LISTEN_PID=` in envp becomes its pid (sd_listen_fds(3)). */
static void fill_listen_pid(char **envp) {
  static char entry[32];
  for (char **e = envp; *e != NULL; e++)
    if (strcmp(*e, "LISTEN_PID=") == 0) {
      snprintf(entry, sizeof entry, "LISTEN_PID=%ld", (long)getpid());
      *e = entry;
    }
}

/* The new process, between clone3 and execve (a fork of this single-threaded server). */
static void start(const char *path, const char *cwd, const struct creds *creds,
                  const struct rlimits *limits, char **argv, char **envp, const int *fds,
                  const int *targets, int ntargets, int report) {
  setsid();
  fill_listen_pid(envp);
  int top = 2;
  for (int i = 0; i < ntargets; i++)
    if (targets[i] > top) top = targets[i];
  /* Every fd above the targets first, so that no dup2 overwrites a source still needed. */
  int moved[MAX_FDS];
  for (int i = 0; i < ntargets; i++) {
    moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, top + 1);
    if (moved[i] < 0) fail(report, "fcntl", errno);
  }
  int kept = fcntl(report, F_DUPFD_CLOEXEC, top + 1);
  if (kept < 0) fail(report, "fcntl", errno);
  report = kept;
  char given[MAX_FD_NUMBER + 1] = {0};
  for (int i = 0; i < ntargets; i++) {
    if (dup2(moved[i], targets[i]) < 0) fail(report, "dup2", errno);
    given[targets[i]] = 1;
  }
  if (!given[0]) {
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0) fail(report, "dup2", errno);
    if (null != 0) close(null);
  }
  for (int fd = 1; fd <= top; fd++)
    if (!given[fd]) close(fd);
  /* Everything above the targets goes at the exec (the report pipe among them). */
  if (syscall(SYS_close_range, top + 1, ~0U, 4 /* CLOSE_RANGE_CLOEXEC, Linux 5.11 */) < 0) {
    for (int fd = top + 1; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  for (int i = 0; i < limits->n; i++)
    if (setrlimit(limits->resource[i], &limits->value[i]) < 0)
      fail(report, "setrlimit", errno);
  become(creds, report);
  /* As the user: a directory it may not enter is its error, as with systemd. */
  if (chdir(cwd) < 0) fail(report, "chdir", errno);
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
  fail(report, "exec", errno);
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
  enum { CGROUP, PATH, CWD, CREDS, TARGETS, ARGC, ARGV };
  static struct creds creds;
  static struct rlimits limits;
  int targets[MAX_FDS];
  int ntargets = nfields >= ARGV ? parse_targets(field[TARGETS], targets) : -1;
  char *end = NULL;
  long argc = nfields >= ARGV ? strtol(field[ARGC], &end, 10) : 0;
  /* The last field is RLIMITS; the environment is what lies between ARGV and it. */
  if (end == NULL || *end != '\0' || ntargets < 0 || ntargets + 1 != nfds || argc < 1 ||
      argc > nfields - ARGV - 1 || parse_creds(field[CREDS], &creds) < 0 ||
      parse_rlimits(field[nfields - 1], &limits) < 0)
    return BAD_REQUEST;
  int nenv = nfields - ARGV - (int)argc - 1;
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  char **envp = calloc((size_t)nenv + 1, sizeof *envp);
  long result = -ENOMEM;
  if (argv != NULL && envp != NULL) {
    memcpy(argv, field + ARGV, (size_t)argc * sizeof *argv);
    memcpy(envp, field + ARGV + argc, (size_t)nenv * sizeof *envp);
    int inCgroup = field[CGROUP][0] != '\0';
    int cgroup = inCgroup ? open(field[CGROUP], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (inCgroup && cgroup < 0) {
      result = -errno;
    } else {
      struct clone_args args;
      memset(&args, 0, sizeof args);
      args.flags = CLONE_PARENT | (inCgroup ? CLONE_INTO_CGROUP : 0);
      args.cgroup = inCgroup ? (unsigned long long)cgroup : 0;
      long pid = syscall(SYS_clone3, &args, sizeof args);
      if (pid == 0)
        start(field[PATH], field[CWD], &creds, &limits, argv, envp, fds, targets, ntargets,
              fds[nfds - 1]);
      result = pid < 0 ? -errno : pid;
      if (cgroup >= 0) close(cgroup);
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
