// klogctl is a small controller-like program that logs in the klog text format
// (Lmmdd hh:mm:ss.uuuuuu pid file:line] msg) used by Kubernetes components.
// It lists objects from an HTTP endpoint, reconciles them, and serves /healthz.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

var mu sync.Mutex

// logf writes one klog-style line; depth selects the caller whose file:line is shown.
func logf(severity byte, depth int, format string, args ...interface{}) {
	_, file, line, ok := runtime.Caller(depth + 1)
	if !ok {
		file, line = "???", 1
	}
	now := time.Now()
	msg := fmt.Sprintf(format, args...)
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(os.Stderr, "%c%02d%02d %02d:%02d:%02d.%06d %7d %s:%d] %s\n",
		severity, int(now.Month()), now.Day(), now.Hour(), now.Minute(), now.Second(),
		now.Nanosecond()/1000, os.Getpid(), filepath.Base(file), line, msg)
}

func infoS(msg string, kv ...interface{}) { logf('I', 1, "%q%s", msg, pairs(kv)) }
func errorS(err error, msg string, kv ...interface{}) {
	logf('E', 1, "%q%s err=%q", msg, pairs(kv), err.Error())
}
func warning(format string, args ...interface{}) { logf('W', 1, format, args...) }

// fatal mirrors klog.Fatal: the message, a dump of every goroutine, exit 255.
func fatal(format string, args ...interface{}) {
	logf('F', 1, format, args...)
	buf := make([]byte, 1<<16)
	n := runtime.Stack(buf, true)
	mu.Lock()
	os.Stderr.Write(buf[:n])
	mu.Unlock()
	os.Exit(255)
}

func pairs(kv []interface{}) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			fmt.Fprintf(&b, " %v=%q", kv[i], v)
		default:
			fmt.Fprintf(&b, " %v=%v", kv[i], v)
		}
	}
	return b.String()
}

type object struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Replicas  int    `json:"replicas"`
}

type lister struct {
	url    string
	client *http.Client
}

func (l *lister) list() ([]object, error) {
	resp, err := l.client.Get(l.url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("unexpected status %d from %s", resp.StatusCode, l.url)
	}
	var objs []object
	if err := json.NewDecoder(resp.Body).Decode(&objs); err != nil {
		return nil, err
	}
	return objs, nil
}

func main() {
	api := flag.String("api", "http://127.0.0.1:8001/objects.json", "object list URL")
	listen := flag.String("listen", "127.0.0.1:8081", "health probe address")
	resync := flag.Duration("resync", 200*time.Millisecond, "resync period")
	lockNS := flag.String("leader-elect-namespace", "kube-system", "namespace of the leader lock")
	version := flag.String("version", "v1.4.2", "build version")
	flag.Parse()

	infoS("Starting controller", "version", *version, "resync", resync.String())
	if *lockNS == "" {
		for i := 1; i <= 3; i++ {
			errorS(fmt.Errorf("an empty namespace may not be set when a resource name is provided"),
				"error retrieving resource lock", "lock", "/widget-controller", "attempt", i)
			time.Sleep(300 * time.Millisecond)
		}
		fatal("leaderelection: failed to acquire lease /widget-controller: lock namespace is empty")
	}
	infoS("attempting to acquire leader lease", "lock", *lockNS+"/widget-controller")
	infoS("successfully acquired lease", "lock", *lockNS+"/widget-controller")

	ready := false
	var readyMu sync.Mutex
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		readyMu.Lock()
		defer readyMu.Unlock()
		if !ready {
			w.WriteHeader(503)
			return
		}
		w.Write([]byte("ok"))
	})
	go func() {
		if err := http.ListenAndServe(*listen, nil); err != nil {
			fatal("failed to serve health probes: %v", err)
		}
	}()

	l := &lister{url: *api, client: &http.Client{Timeout: 2 * time.Second}}
	infoS("Waiting for caches to sync", "controller", "widget")
	backoff := 200 * time.Millisecond
	var objs []object
	for {
		var err error
		objs, err = l.list()
		if err == nil {
			break
		}
		logf('W', 0, "reflector.go: failed to list *v1alpha1.Widget: %v", err)
		logf('E', 0, "reflector.go: Failed to watch *v1alpha1.Widget: failed to list *v1alpha1.Widget: %v", err)
		time.Sleep(backoff)
		if backoff < 1600*time.Millisecond {
			backoff *= 2
		}
	}
	infoS("Caches are synced", "controller", "widget", "objects", len(objs))
	readyMu.Lock()
	ready = true
	readyMu.Unlock()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(*resync)
	defer tick.Stop()
	gen := 0
	for {
		select {
		case <-stop:
			infoS("Shutting down controller", "controller", "widget")
			infoS("Stopping leader election", "lock", *lockNS+"/widget-controller")
			return
		case <-tick.C:
			gen++
			objs, err := l.list()
			if err != nil {
				errorS(err, "Failed to list widgets", "generation", gen)
				continue
			}
			for _, o := range objs {
				start := time.Now()
				if o.Replicas < 0 {
					warning("widget %s/%s has negative replicas %d, clamping to 0", o.Namespace, o.Name, o.Replicas)
				}
				if gen%5 == 0 {
					infoS("Reconciled widget", "widget", o.Namespace+"/"+o.Name, "replicas", o.Replicas,
						"duration", time.Since(start).String())
				}
			}
		}
	}
}
