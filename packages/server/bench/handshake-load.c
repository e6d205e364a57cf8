/*
 * Closed-loop TLS handshake load client for the cluster part of the handshake bench, built at
 * bench time (`cc -O2 handshake-load.c -lssl -lcrypto`, the system OpenSSL) so that the client
 * costs as little CPU per handshake as it can: one thread, non-blocking sockets, epoll.
 *
 * Keeps `--concurrency` connections to 127.0.0.1:`--port` going: each one TCP connect, one full
 * handshake (no session offered: the context keeps no cache, and resumption is checked to be
 * absent) sending status_request, then close_notify and FIN, reading until the server closes.
 * When one closes the next starts, until `--seconds` have passed or `--max` were started; then
 * what is still open gets `GRACE_S` to finish before it is counted as failed. Prints one JSON
 * line: counts, elapsed time, this process's own CPU time (getrusage), handshake latencies.
 *
 * Every handshake must carry a staple with `--expect-staple 1`; every 16th one is parsed and
 * its serial number compared with the served certificate's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONCURRENCY 1024
#define MAX_COUNT 2000000
#define HANDSHAKE_TIMEOUT_S 5.0
#define GRACE_S 8.0
#define CHECK_EVERY 16

enum state { FREE, CONNECTING, HANDSHAKING, DRAINING };

struct conn {
  enum state state;
  int fd;
  SSL *ssl;
  double started;   /* connect() called */
  double connected; /* TCP connected */
  int secure;
};

static struct {
  long started, completed, failed, stapled, wrong_staple, reused;
  long err_connect, err_handshake, err_timeout, err_no_staple, err_closed;
  long after_errors;
} counts;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double pct(const double *sorted, long n, double p) {
  if (n == 0) return -1;
  long rank = (long)((p / 100.0) * (double)n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static void usage(void) {
  fprintf(stderr,
          "usage: handshake-load --port N --seconds S --max N --concurrency N --tls 1.2|1.3 "
          "--sigalgs LIST [--servername NAME] [--expect-staple 0|1]\n");
  exit(2);
}

/* The staple names the certificate served (the first SingleResponse's serial). */
static int staple_matches(SSL *ssl, const unsigned char *der, long len) {
  const unsigned char *p = der;
  OCSP_RESPONSE *response = d2i_OCSP_RESPONSE(NULL, &p, len);
  int ok = 0;
  if (response && OCSP_response_status(response) == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    OCSP_BASICRESP *basic = OCSP_response_get1_basic(response);
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (basic && peer && OCSP_resp_count(basic) > 0) {
      const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(basic, 0));
      ASN1_INTEGER *serial = NULL;
      if (OCSP_id_get0_info(NULL, NULL, NULL, &serial, (OCSP_CERTID *)id) && serial) {
        ok = ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(peer)) == 0;
      }
    }
    OCSP_BASICRESP_free(basic);
  }
  OCSP_RESPONSE_free(response);
  return ok;
}

int main(int argc, char **argv) {
  int port = 0, concurrency = 16, expect_staple = 1;
  double seconds = 5;
  long max = 100000;
  const char *tls = "1.3", *sigalgs = NULL, *servername = "localhost";
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--seconds")) seconds = atof(v);
    else if (!strcmp(k, "--max")) max = atol(v);
    else if (!strcmp(k, "--concurrency")) concurrency = atoi(v);
    else if (!strcmp(k, "--tls")) tls = v;
    else if (!strcmp(k, "--sigalgs")) sigalgs = v;
    else if (!strcmp(k, "--servername")) servername = v;
    else if (!strcmp(k, "--expect-staple")) expect_staple = atoi(v);
    else usage();
  }
  if (port <= 0 || port > 65535 || concurrency < 1 || concurrency > MAX_CONCURRENCY ||
      seconds <= 0 || seconds > 120 || max < 1 || max > MAX_COUNT) {
    usage();
  }
  int version = !strcmp(tls, "1.2") ? TLS1_2_VERSION : TLS1_3_VERSION;

  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return 1;
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (sigalgs && !SSL_CTX_set1_sigalgs_list(ctx, sigalgs)) {
    fprintf(stderr, "handshake-load: bad --sigalgs %s\n", sigalgs);
    return 2;
  }

  double *latency = malloc(sizeof(double) * (size_t)max);
  struct conn *conns = calloc((size_t)concurrency, sizeof(struct conn));
  int ep = epoll_create1(0);
  if (!latency || !conns || ep < 0) return 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);

  double cpu0 = cpu_us();
  double t0 = now_s();
  double stop_at = t0 + seconds;
  double give_up = stop_at + GRACE_S;
  double last_close = t0;
  int open = 0;

  /* Closes slot i; counts it failed when it never got through its handshake. */
#define CLOSE(c, failure_counter)                  \
  do {                                             \
    if (!(c)->secure) {                            \
      counts.failed++;                             \
      failure_counter++;                           \
    }                                              \
    epoll_ctl(ep, EPOLL_CTL_DEL, (c)->fd, NULL);   \
    SSL_free((c)->ssl);                            \
    close((c)->fd);                                \
    (c)->state = FREE;                             \
    open--;                                        \
    last_close = now_s();                          \
  } while (0)

  for (;;) {
    double t = now_s();
    /* Start connections into free slots while the time and count allow. */
    if (t < stop_at) {
      for (int i = 0; i < concurrency && counts.started < max; i++) {
        struct conn *c = &conns[i];
        if (c->state != FREE) continue;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
          counts.started++;
          counts.failed++;
          counts.err_connect++;
          continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->started = t;
        c->ssl = SSL_new(ctx);
        SSL_set_fd(c->ssl, fd);
        SSL_set_connect_state(c->ssl);
        SSL_set_tlsext_host_name(c->ssl, servername);
        SSL_set_tlsext_status_type(c->ssl, TLSEXT_STATUSTYPE_ocsp);
        counts.started++;
        open++;
        int r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
        if (r < 0 && errno != EINPROGRESS) {
          c->state = CONNECTING;
          CLOSE(c, counts.err_connect);
          continue;
        }
        c->state = CONNECTING;
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      }
    }
    if (open == 0 && (t >= stop_at || counts.started >= max)) break;
    if (t >= give_up) {
      for (int i = 0; i < concurrency; i++) {
        if (conns[i].state != FREE) CLOSE(&conns[i], counts.err_timeout);
      }
      break;
    }

    struct epoll_event events[64];
    int n = epoll_wait(ep, events, 64, 50);
    if (n < 0 && errno != EINTR) return 1;
    t = now_s();
    for (int k = 0; k < n; k++) {
      struct conn *c = &conns[events[k].data.u32];
      if (c->state == FREE) continue;
      if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          CLOSE(c, counts.err_connect);
          continue;
        }
        c->connected = t;
        c->state = HANDSHAKING;
      }
      if (c->state == HANDSHAKING) {
        int r = SSL_do_handshake(c->ssl);
        if (r == 1) {
          c->secure = 1;
          if (counts.completed < max) latency[counts.completed] = (t - c->connected) * 1000;
          counts.completed++;
          if (SSL_session_reused(c->ssl)) counts.reused++;
          const unsigned char *der = NULL;
          long len = SSL_get_tlsext_status_ocsp_resp(c->ssl, &der);
          if (der && len > 0) {
            counts.stapled++;
            if (counts.completed % CHECK_EVERY == 1 && !staple_matches(c->ssl, der, len)) {
              counts.wrong_staple++;
            }
          } else if (expect_staple) {
            counts.err_no_staple++;
          }
          /* close_notify, then FIN; read until the server closes (tickets, its close_notify). */
          SSL_shutdown(c->ssl);
          shutdown(c->fd, SHUT_WR);
          c->state = DRAINING;
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[k].data.u32};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        } else {
          int e = SSL_get_error(c->ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            struct epoll_event ev = {
                .events = e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN,
                .data.u32 = events[k].data.u32,
            };
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          } else {
            ERR_clear_error();
            CLOSE(c, counts.err_handshake);
          }
        }
        continue;
      }
      if (c->state == DRAINING) {
        char buf[4096];
        ssize_t got;
        while ((got = recv(c->fd, buf, sizeof buf, 0)) > 0) {
        }
        if (got == 0) {
          CLOSE(c, counts.err_closed);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          counts.after_errors++;
          CLOSE(c, counts.err_closed);
        }
      }
    }
    /* Handshake timeouts. */
    for (int i = 0; i < concurrency; i++) {
      struct conn *c = &conns[i];
      if (c->state != FREE && !c->secure && t - c->started > HANDSHAKE_TIMEOUT_S) {
        CLOSE(c, counts.err_timeout);
      }
    }
  }

  double elapsed_ms = (last_close - t0) * 1000;
  double cpu = cpu_us() - cpu0;
  long n = counts.completed < max ? counts.completed : max;
  qsort(latency, (size_t)n, sizeof(double), cmp_double);
  printf("{\"type\":\"result\",\"started\":%ld,\"completed\":%ld,\"failed\":%ld,\"stapled\":%ld,"
         "\"wrongStaple\":%ld,\"checkedStaples\":%ld,\"reused\":%ld,\"afterErrors\":%ld,"
         "\"errors\":{\"connect\":%ld,\"handshake\":%ld,\"timeout\":%ld,\"noStaple\":%ld,"
         "\"closedBeforeHandshake\":%ld},\"elapsedMs\":%.3f,\"cpuUs\":%.0f,"
         "\"handshakeMs\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"max\":%.4f}}\n",
         counts.started, counts.completed, counts.failed, counts.stapled, counts.wrong_staple,
         (counts.completed + CHECK_EVERY - 1) / CHECK_EVERY, counts.reused, counts.after_errors,
         counts.err_connect, counts.err_handshake, counts.err_timeout, counts.err_no_staple,
         counts.err_closed, elapsed_ms, cpu, pct(latency, n, 50), pct(latency, n, 90),
         pct(latency, n, 99), n ? latency[n - 1] : -1);
  SSL_CTX_free(ctx);
  return 0;
}
