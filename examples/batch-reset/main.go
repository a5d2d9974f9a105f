// Command batch-reset resets the identifications of many users on
// SDK.Finance in one pass. It reads "userId,requestId" lines, resets them
// with Client.ResetIdentifications, and writes one result row per target.
//
// With no configuration it starts an in-memory SDK.Finance sandbox on
// 127.0.0.1 and seeds five users with a pending reset request each. It then
// resets four of them, and also tries a request that does not exist and a
// request paired with the wrong user, so that the output shows failures:
//
//	go run ./examples/batch-reset
//
// Against a real installation, set the API root and credentials in the
// environment and pass the targets as CSV:
//
//	SDKFINANCE_BASE_URL=https://host/api/v1 \
//	SDKFINANCE_LOGIN=operator@example.com SDKFINANCE_PASSWORD=... \
//	go run ./examples/batch-reset -in targets.csv -out results.csv -audit audit.jsonl
//
// SDKFINANCE_TOKEN may stand in for the login and password.
//
// # Input
//
// -in names a CSV file of "userId,requestId" lines, or "-" for stdin.
// Header lines "userId,requestId" and blank lines are skipped. A line with other than two fields, an empty field, a control
// character, invalid UTF-8 or an id over 256 bytes is reported on stderr
// with its line number and skipped. Fields may be quoted as in RFC 4180,
// but a field cannot span lines.
//
// # Output
//
// The result CSV (-out, stdout by default) has the header
// "userId,requestId,status,error" and one row per target, in input order.
// The status is one of:
//
//	APPROVED       the server confirmed the approve
//	RECONCILED     the response was lost, and reading the list showed the request approved
//	CHECKED        dry run: the request is pending and the user initiated it
//	NOT_PENDING    no pending request has the id: approved or declined already, or wrong
//	USER_MISMATCH  another user initiated the request; nothing was approved
//	INVALID        an id the SDK rejects, or a request id repeated in the input
//	UNKNOWN        the approve may have happened; check the request before acting again
//	FAILED         any other error, such as a failed list read or a failed approve
//
// The error column holds the SDK's one-line error text, which never
// contains a token or password. -audit appends one JSON line per
// sdkfinance.AuditEvent to a file. Progress goes to stderr: a self-updating
// line when stderr is a terminal, else a plain line after each tenth of
// the targets.
//
// # Exit status
//
// The exit status is 0 when every target was approved (or, with -dry-run,
// found pending) and no input line was skipped, and 1 otherwise, after all
// rows are written. So the default sandbox run exits with status 1 because
// of its two deliberate failures. A failure that stops the run, such as a
// login or list read that fails, prints one line on stderr and exits with
// status 1, still writing a row per target when the targets were read. A
// usage error exits with status 2.
//
// # Dependencies
//
// The example uses only the standard library and the SDK. -rate is paced
// by a small limiter of its own, because golang.org/x/time/rate or a
// progress bar library would become dependencies of the SDK's go.mod,
// which importers of the SDK would then download.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
)

// settings contains the values of the flags and the environment.
type settings struct {
	baseURL  string
	token    string
	login    string
	password string

	inPath      string
	outPath     string
	auditPath   string
	concurrency int
	rate        float64
	dryRun      bool
	timeout     time.Duration
	verbose     bool
}

// streams are the standard files of a run, replaced in tests.
type streams struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stderrTerminal selects the self-updating progress line.
	stderrTerminal bool
}

const programName = "batch-reset"

var (
	// errUsage marks a missing or invalid setting. main exits with status 2
	// for it.
	errUsage = errors.New("usage")
	// errIncomplete marks a run in which some targets were not reset or
	// some input lines were skipped. main exits with status 1 for it.
	errIncomplete = errors.New("not every target was reset")
)

// incompleteError reports the counts of an incomplete run. It matches
// errIncomplete.
type incompleteError struct{ detail string }

func (e *incompleteError) Error() string        { return e.detail }
func (e *incompleteError) Is(target error) bool { return target == errIncomplete }

func main() {
	s, err := parseSettings(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, programName+":", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	std := streams{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stderrTerminal: isTerminal(os.Stderr)}
	if err := run(ctx, s, std); err != nil {
		fmt.Fprintln(os.Stderr, programName+":", err)
		stop()
		os.Exit(exitCode(err))
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	s := settings{
		baseURL:  getenv("SDKFINANCE_BASE_URL"),
		token:    getenv("SDKFINANCE_TOKEN"),
		login:    getenv("SDKFINANCE_LOGIN"),
		password: getenv("SDKFINANCE_PASSWORD"),
	}
	fs := flag.NewFlagSet(programName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.inPath, "in", "",
		`CSV file of userId,requestId lines, or "-" for stdin (default: generated from the sandbox)`)
	fs.StringVar(&s.outPath, "out", "-", `file for the result CSV, or "-" for stdout`)
	fs.StringVar(&s.auditPath, "audit", "", "file to append one JSON line per approve decision to")
	fs.IntVar(&s.concurrency, "concurrency", sdkfinance.DefaultBatchConcurrency,
		"maximum number of approve requests in flight at once")
	fs.Float64Var(&s.rate, "rate", 0, "maximum approve requests per second; 0 means no limit")
	fs.BoolVar(&s.dryRun, "dry-run", false, "check every target against the pending list and approve nothing")
	fs.DurationVar(&s.timeout, "timeout", 10*time.Minute, "time limit for the whole run; 0 means none")
	fs.BoolVar(&s.verbose, "v", false, "log requests, retries and logins to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, err
		}
		return s, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := checkSettings(s, fs.Args()); err != nil {
		return s, fmt.Errorf("%w: %v", errUsage, err)
	}
	return s, nil
}

// checkSettings rejects flag values out of range and missing settings.
func checkSettings(s settings, rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q; pass the targets with -in FILE", rest[0])
	case s.concurrency < 1:
		return fmt.Errorf("-concurrency is %d; pass 1 or more", s.concurrency)
	case s.timeout < 0:
		return fmt.Errorf("-timeout is %v; pass a positive duration, or 0 for none", s.timeout)
	}
	if s.rate != 0 {
		if _, err := newIntervalLimiter(s.rate); err != nil {
			return fmt.Errorf("-rate: %v", err)
		}
	}
	if s.baseURL == "" {
		return nil
	}
	if s.token == "" && (s.login == "" || s.password == "") {
		return errors.New("SDKFINANCE_BASE_URL is set, but neither SDKFINANCE_TOKEN nor " +
			"SDKFINANCE_LOGIN with SDKFINANCE_PASSWORD is")
	}
	if s.inPath == "" {
		return errors.New(`SDKFINANCE_BASE_URL is set, so pass the targets with -in FILE, or -in - for stdin`)
	}
	return nil
}
