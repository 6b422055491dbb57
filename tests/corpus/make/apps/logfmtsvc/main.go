// logfmtsvc is a small payments service that logs logfmt lines the way logrus' text
// formatter does (time="..." level=info msg="..." key=value). In -mode=bad its card
// processor client uses a 20ms deadline that about a third of the calls exceed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var mu sync.Mutex

func logf(level, msg string, kv ...interface{}) {
	var b strings.Builder
	fmt.Fprintf(&b, "time=%q level=%s msg=%q", time.Now().Format(time.RFC3339Nano), level, msg)
	for i := 0; i+1 < len(kv); i += 2 {
		v := fmt.Sprint(kv[i+1])
		if strings.ContainsAny(v, " =\"") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %v=%s", kv[i], v)
	}
	mu.Lock()
	fmt.Fprintln(os.Stdout, b.String())
	mu.Unlock()
}

func charge(ctx context.Context, deadline time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	work := time.Duration(8+rand.Intn(20)) * time.Millisecond // the processor's answer time
	select {
	case <-time.After(work):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("POST https://processor.internal/v2/charges: %w", ctx.Err())
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address")
	mode := flag.String("mode", "good", "good or bad")
	version := flag.String("version", "3.4.0", "build version")
	flag.Parse()
	deadline := 2 * time.Second
	if *mode == "bad" {
		deadline = 20 * time.Millisecond
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/charge/", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := strings.TrimPrefix(r.URL.Path, "/charge/")
		status := http.StatusOK
		if err := charge(r.Context(), deadline); err != nil {
			status = http.StatusBadGateway
			if errors.Is(err, context.DeadlineExceeded) {
				logf("error", "charge failed", "charge_id", id, "error", err.Error(), "retryable", true)
			}
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "{\"charge\":%q}\n", id)
		logf("info", "request handled", "method", r.Method, "path", r.URL.Path, "status", status,
			"duration", time.Since(start).String(), "remote", r.RemoteAddr)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv := &http.Server{Addr: *listen, Handler: mux}
	logf("info", "starting payments service", "version", *version, "processor_timeout", deadline.String())
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			logf("fatal", "listen failed", "error", err.Error())
			os.Exit(1)
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	logf("info", "shutting down", "signal", "terminated")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	logf("info", "server stopped")
}
