// Command ferretdb runs FerretDB v1 (a MongoDB wire-protocol server) on its SQLite
// backend, embedded, so that machines without Docker get a real database server.
// The embedded form is used because FerretDB's own cmd/ferretdb refuses to run when
// built with `go install` (it requires a generated version file); embedding also keeps
// telemetry off by construction.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only with --pprof-addr
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "data", "directory for the SQLite databases")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's /debug/pprof on this address (profiling; off when empty)")
	flag.Parse()

	if *pprofAddr != "" {
		go func() { log.Print(http.ListenAndServe(*pprofAddr, nil)) }()
	}

	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		log.Fatalf("ferretdb: data dir: %v", err)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		log.Fatalf("ferretdb: --log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		// synchronous=NORMAL: in WAL mode a commit is then durable across a crash of this
		// process, and only an OS crash or power loss may roll back the last commits; the
		// default (FULL) fsyncs every commit, and FerretDB commits each update statement
		// on its own. MongoDB's default write concern acknowledges before its journal is
		// flushed (every 100 ms), so this is the same durability class.
		SQLiteURL: "file:" + *dataDir + "/?_pragma=synchronous(normal)",
		Logger:    logger,
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Warn("ferretdb listening", "addr", *listen, "dataDir", *dataDir)
	if err := server.Run(ctx); err != nil {
		log.Fatalf("ferretdb: %v", err)
	}
}
