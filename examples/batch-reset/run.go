package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/sdkfinance-go/sdkfinance"
)

// run reads the targets, resets them and writes the result rows. It
// returns errIncomplete, wrapped, when some target was not reset or some
// input line was skipped.
func run(ctx context.Context, s settings, std streams) error {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}

	var generated []byte
	if s.baseURL == "" {
		srv, input, err := startSandbox(&s)
		if err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(std.stderr, "No SDKFINANCE_BASE_URL set: started the sandbox at %s\n", srv.URL)
		if s.inPath == "" {
			generated = input
			fmt.Fprintf(std.stderr, "No -in given: using the seeded requests as input:\n%s", input)
		}
	}

	targets, skipped, err := loadTargets(s, generated, std)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		fmt.Fprintln(std.stderr, "The input contains no targets.")
	}

	out, closeOut, err := openOutput(s.outPath, std.stdout)
	if err != nil {
		return err
	}
	defer closeOut()
	var audit *auditLog
	var auditFile *os.File
	if s.auditPath != "" {
		auditFile, err = os.OpenFile(s.auditPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("open the audit file: %w", err)
		}
		defer auditFile.Close() // for early returns; after the Close below it returns os.ErrClosed
		audit = newAuditLog(auditFile)
	}

	client, err := newClient(s, std.stderr, audit)
	if err != nil {
		return err
	}
	opts, err := batchOptions(s, len(targets), std)
	if err != nil {
		return err
	}
	results, batchErr := client.ResetIdentifications(ctx, targets, opts.BatchOptions)
	opts.progress.finish()
	if results == nil && batchErr != nil {
		return fmt.Errorf("reset identifications: %w", batchErr)
	}

	if err := writeResults(out, results, s.dryRun); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	if err := closeOut(); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	if audit != nil {
		if err := errors.Join(audit.err(), auditFile.Close()); err != nil {
			return fmt.Errorf("write the audit file: %w", err)
		}
	}
	if batchErr != nil {
		return fmt.Errorf("reset identifications: %w", batchErr)
	}
	return summarize(results, skipped, s.dryRun, std.stderr)
}

// loadTargets reads the targets from the generated input, stdin or the
// file that s names, and reports each skipped line on stderr. It returns
// the targets and how many lines were skipped.
func loadTargets(s settings, generated []byte, std streams) ([]sdkfinance.Target, int, error) {
	var r io.Reader
	name := s.inPath
	switch s.inPath {
	case "":
		r, name = bytes.NewReader(generated), "generated input"
	case "-":
		r, name = std.stdin, "stdin"
	default:
		f, err := os.Open(s.inPath)
		if err != nil {
			return nil, 0, fmt.Errorf("open the input: %w", err)
		}
		defer f.Close()
		r = f
	}
	skipped := 0
	targets, err := readTargets(r, func(line int, reason string) {
		skipped++
		fmt.Fprintf(std.stderr, "%s:%d: %s; line skipped\n", name, line, reason)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", name, err)
	}
	return targets, skipped, nil
}

// openOutput returns the writer for the result CSV and a function that
// closes it. The function may be called more than once.
func openOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open the output: %w", err)
	}
	closed := false
	closeFile := func() error {
		if closed {
			return nil
		}
		closed = true
		return f.Close()
	}
	return f, closeFile, nil
}

func newClient(s settings, stderr io.Writer, audit *auditLog) (*sdkfinance.Client, error) {
	level := slog.LevelWarn
	if s.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts := []sdkfinance.Option{sdkfinance.WithLogger(logger)}
	if s.token != "" {
		opts = append(opts, sdkfinance.WithToken(s.token))
	} else {
		opts = append(opts, sdkfinance.WithCredentials(s.login, s.password))
	}
	if audit != nil {
		opts = append(opts, sdkfinance.WithAuditHook(audit.record))
	}
	return sdkfinance.NewClient(s.baseURL, opts...)
}

// batchRun holds the batch options and the progress they report to.
type batchRun struct {
	sdkfinance.BatchOptions
	progress *progress
}

func batchOptions(s settings, total int, std streams) (batchRun, error) {
	prog := newProgress(std.stderr, total, std.stderrTerminal)
	b := batchRun{progress: prog, BatchOptions: sdkfinance.BatchOptions{
		Concurrency: s.concurrency,
		DryRun:      s.dryRun,
		OnResult: func(_ int, r sdkfinance.BatchResult) {
			prog.record(succeeded(statusOf(r, s.dryRun)))
		},
	}}
	if s.rate > 0 {
		limiter, err := newIntervalLimiter(s.rate)
		if err != nil {
			return b, fmt.Errorf("%w: -rate: %v", errUsage, err)
		}
		b.Limiter = limiter
	}
	return b, nil
}

// summarize prints a line on stderr when every target succeeded, and
// otherwise returns errIncomplete with the counts.
func summarize(results []sdkfinance.BatchResult, skipped int, dryRun bool, stderr io.Writer) error {
	failed := 0
	for _, r := range results {
		if !succeeded(statusOf(r, dryRun)) {
			failed++
		}
	}
	if failed == 0 && skipped == 0 {
		if dryRun {
			fmt.Fprintf(stderr, "All %d targets checked; nothing was approved.\n", len(results))
		} else {
			fmt.Fprintf(stderr, "All %d targets approved.\n", len(results))
		}
		return nil
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d targets failed (see the status and error columns)",
			failed, len(results)))
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("input lines skipped: %d", skipped))
	}
	return &incompleteError{detail: strings.Join(parts, "; ")}
}
