// Command sandbox serves the in-memory SDK.Finance API of sdkfinancetest
// on a loopback address until it is interrupted, in the manner of
// stripe-mock, so that curl, another language's client or a manual test
// can call it:
//
//	go run ./examples/sandbox -seed seed.json -v
//
// On start it prints the API root, the operator's login and password and
// curl commands that log in and list the pending reset requests. The
// operator's login and password are fixed values of the sandbox:
// operator@sandbox.local and sandbox-operator-password. The state lives
// in memory only and is gone when the program stops. SIGINT or SIGTERM
// stops it gracefully.
//
// Flags:
//
//	-addr HOST:PORT    loopback address to listen on (default 127.0.0.1:8080);
//	                   a port of 0 picks a free one
//	-seed FILE         JSON seed document to load on start
//	-max-page-size N   largest pageSize the list operation accepts (default 1000)
//	-token-ttl D       how long issued tokens stay valid (default 1h)
//	-v                 log every request and error response to stderr
//
// The sandbox listens only on a loopback address, such as 127.0.0.1 or
// [::1], because it hands out tokens for a fixed password. Any other
// address is rejected.
//
// # Seed document
//
// The -seed file is one JSON object with three optional lists:
//
//	{
//	  "users": [
//	    {"ref": "alex", "name": "Alex Example"},
//	    {"id": "user-2", "name": "Sam Example",
//	     "login": "sam@sandbox.local", "password": "sam-password"}
//	  ],
//	  "operators": [
//	    {"login": "viewer@sandbox.local", "password": "viewer-password",
//	     "permissions": []}
//	  ],
//	  "resetRequests": [
//	    {"user": "alex", "id": "request-1", "description": "Passport expired"},
//	    {"user": "user-2", "status": "DECLINED"}
//	  ]
//	}
//
// A user needs a "name". Its "id", "login" and "password" are optional and
// default to a generated id, a login user<N>@sandbox.local and a random
// password. Its optional "ref" is the name that reset requests of the same
// file use for it. An operator needs a "login", a "password" and a
// "permissions" list; an empty list gives an operator that gets 403. A
// reset request needs a "user": the ref of a user of the file, or the id
// of a user of the file or of the sandbox. Its "id", "description",
// "organizationId" and "status" (an upper-case word, PENDING by default)
// are optional.
//
// The file is decoded strictly. Unknown fields, values of the wrong type,
// ids and logins in use and unknown users are rejected. The error names
// each bad entry by list and index, such as "users[1]: name is required",
// and the program exits with status 1 before it listens. The format is
// the one that Server.Seed of package sdkfinancetest reads.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/sdkfinance-go/sdkfinance/internal/sandbox"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// shutdownGrace is how long a stopping sandbox waits for requests in
// flight before it closes their connections.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	var usageErr *usageError
	if !errors.As(err, &usageErr) {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
	if !usageErr.printed {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
	}
	os.Exit(2)
}

// usageError is an invalid flag or argument.
type usageError struct {
	err error
	// printed is set when the flag package already wrote the error.
	printed bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// settings contains the values of the flags.
type settings struct {
	addr        string
	seedFile    string
	maxPageSize int
	tokenTTL    time.Duration
	verbose     bool
}

func parseSettings(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8080",
		"loopback `host:port` to listen on; port 0 picks a free port")
	fs.StringVar(&s.seedFile, "seed", "", "JSON seed `file` with users, operators and reset requests")
	fs.IntVar(&s.maxPageSize, "max-page-size", sandbox.DefaultMaxPageSize,
		"largest pageSize the list operation accepts")
	fs.DurationVar(&s.tokenTTL, "token-ttl", sandbox.DefaultTokenTTL, "how long issued tokens stay valid")
	fs.BoolVar(&s.verbose, "v", false, "log every request and error response to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, err
		}
		return s, &usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		return s, usagef("unexpected argument %q; the sandbox takes flags only", fs.Arg(0))
	}
	if s.maxPageSize < 1 {
		return s, usagef("invalid -max-page-size %d: must be at least 1", s.maxPageSize)
	}
	if s.tokenTTL <= 0 {
		return s, usagef("invalid -token-ttl %v: must be positive, such as 1h", s.tokenTTL)
	}
	if err := checkLoopback(s.addr); err != nil {
		return s, &usageError{err: err}
	}
	return s, nil
}

// checkLoopback accepts host:port with a loopback IP address as host.
// Host names, localhost included, are rejected because a resolver could
// map them to another address.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid -addr %q: %v; use host:port, such as 127.0.0.1:8080", addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Errorf("invalid -addr %q: invalid port %q; use a number from 0 to 65535, "+
			"such as 127.0.0.1:8080", addr, port)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("invalid -addr %q: the sandbox listens only on a loopback IP address, "+
			"such as 127.0.0.1:8080 or [::1]:8080", addr)
	}
	return nil
}

// run serves the sandbox until ctx is done, then shuts it down. It writes
// the start banner to stdout and logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseSettings(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if s.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	sb, err := sandbox.New(sandbox.Config{
		MaxPageSize: s.maxPageSize,
		TokenTTL:    s.tokenTTL,
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	sb.AddOperator(sdkfinancetest.OperatorLogin, sdkfinancetest.OperatorPassword,
		[]string{sandbox.PermissionResetIdentification})
	var seeded sandbox.SeedResult
	if s.seedFile != "" {
		if seeded, err = loadSeed(sb, s.seedFile); err != nil {
			return err
		}
	}

	// Check the address the listener got too, in case a port of 0 or an
	// odd spelling of the host yields something else.
	listener, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	if err := checkLoopback(listener.Addr().String()); err != nil {
		listener.Close()
		return err
	}
	apiRoot := "http://" + listener.Addr().String() + sandbox.BasePath
	printBanner(stdout, apiRoot, seeded)

	handler := sb.Handler()
	if s.verbose {
		handler = sandbox.LogRequests(logger, handler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("sandbox started", "api_root", apiRoot, "seed", s.seedFile)
	return serve(ctx, srv, listener, logger)
}

// serve runs srv on listener until ctx is done, then gives requests in
// flight shutdownGrace to finish.
func serve(ctx context.Context, srv *http.Server, listener net.Listener, logger *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("sandbox stopping", "reason", context.Cause(ctx))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("sandbox shutdown: closing connections still busy", "error", err)
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("sandbox stopped")
	return nil
}

func loadSeed(sb *sandbox.Sandbox, name string) (sandbox.SeedResult, error) {
	f, err := os.Open(name)
	if err != nil {
		return sandbox.SeedResult{}, fmt.Errorf("read the seed: %w", err)
	}
	defer f.Close()
	seed, err := sandbox.DecodeSeed(f)
	if err == nil {
		var result sandbox.SeedResult
		if result, err = sb.ApplySeed(seed); err == nil {
			return result, nil
		}
	}
	return sandbox.SeedResult{}, fmt.Errorf("invalid seed file %s:\n%w", name, err)
}

// printBanner writes the API root, the logins and curl commands to try.
func printBanner(w io.Writer, apiRoot string, seeded sandbox.SeedResult) {
	login := fmt.Sprintf(`{"login":%q,"password":%q}`,
		sdkfinancetest.OperatorLogin, sdkfinancetest.OperatorPassword)
	fmt.Fprintf(w, "SDK.Finance sandbox listening on %s\n", apiRoot)
	fmt.Fprintf(w, "Operator login:    %s\n", sdkfinancetest.OperatorLogin)
	fmt.Fprintf(w, "Operator password: %s\n", sdkfinancetest.OperatorPassword)
	if n := len(seeded.Users) + len(seeded.Operators) + len(seeded.ResetRequests); n > 0 {
		fmt.Fprintf(w, "\nSeeded users: %d, operators: %d, reset requests: %d\n",
			len(seeded.Users), len(seeded.Operators), len(seeded.ResetRequests))
		for _, u := range seeded.Users {
			fmt.Fprintf(w, "  user %s  %q  login %s  password %s\n", u.ID, u.Name, u.Login, u.Password)
		}
		for _, op := range seeded.Operators {
			fmt.Fprintf(w, "  operator %s  login %s\n", op.ID, op.Login)
		}
		for _, r := range seeded.ResetRequests {
			fmt.Fprintf(w, "  reset request %s  user %s  %s\n", r.ID, r.InitiatorUserID, r.Status)
		}
	}
	fmt.Fprintf(w, `
Log in, then list the pending reset requests with the token from
authorizationToken.token:

  curl -s -X POST %[1]s/authorization \
    -H 'Content-Type: application/json' \
    -d '%[2]s'

  curl -s -X POST %[1]s/profiles/view-reset-identification-requests \
    -H 'Authorization: TOKEN <token>' -H 'Content-Type: application/json' \
    -d '{"filter":{"status":"PENDING"}}'

Or run the SDK's example against it:

  SDKFINANCE_BASE_URL=%[1]s \
  SDKFINANCE_LOGIN=%[3]s SDKFINANCE_PASSWORD=%[4]s \
  go run ./examples/reset-identification

Press Ctrl+C to stop.
`, apiRoot, login, sdkfinancetest.OperatorLogin, sdkfinancetest.OperatorPassword)
}
