// Command reset-identification resets a user's identification on
// SDK.Finance: it logs in as a System Operator, shows the pending reset
// requests, approves one and prints the result as indented JSON.
//
// With no configuration it starts an in-memory SDK.Finance sandbox on
// 127.0.0.1, seeds a user with a pending reset request and resets it:
//
//	go run ./examples/reset-identification
//
// Against a real installation, set the API root and credentials in the
// environment and name the request with flags:
//
//	SDKFINANCE_BASE_URL=https://host/api/v1 \
//	SDKFINANCE_LOGIN=operator@example.com SDKFINANCE_PASSWORD=... \
//	go run ./examples/reset-identification -user USER_ID -request REQUEST_ID
//
// SDKFINANCE_TOKEN may stand in for the login and password. Without -user
// and -request the program only lists the pending requests and exits with
// status 0. The pending list and progress go to stderr and the result
// alone to stdout, so the output can be piped to a JSON tool. Any failure
// prints one line to stderr and exits with status 1; a usage error exits
// with status 2.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"text/tabwriter"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// settings holds the configuration from the flags and the environment.
type settings struct {
	baseURL   string
	token     string
	login     string
	password  string
	userID    string
	requestID string
	timeout   time.Duration
	verbose   bool
}

func main() {
	s, err := parseSettings(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return // -h printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reset-identification:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, s, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reset-identification:", err)
		stop()
		os.Exit(1)
	}
}

func parseSettings(args []string, getenv func(string) string) (settings, error) {
	s := settings{
		baseURL:  getenv("SDKFINANCE_BASE_URL"),
		token:    getenv("SDKFINANCE_TOKEN"),
		login:    getenv("SDKFINANCE_LOGIN"),
		password: getenv("SDKFINANCE_PASSWORD"),
	}
	fs := flag.NewFlagSet("reset-identification", flag.ContinueOnError)
	fs.StringVar(&s.userID, "user", "", "id of the user whose identification is reset")
	fs.StringVar(&s.requestID, "request", "", "id of the pending reset request to approve")
	fs.DurationVar(&s.timeout, "timeout", 30*time.Second, "time limit for the whole run")
	fs.BoolVar(&s.verbose, "v", false, "log requests, retries and logins to stderr")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected argument %q; pass ids with -user and -request", fs.Arg(0))
	}
	if s.baseURL == "" {
		return s, nil
	}
	if s.token == "" && (s.login == "" || s.password == "") {
		return s, errors.New("SDKFINANCE_BASE_URL is set, but neither SDKFINANCE_TOKEN nor " +
			"SDKFINANCE_LOGIN with SDKFINANCE_PASSWORD is")
	}
	if (s.userID == "") != (s.requestID == "") {
		return s, errors.New("pass both -user and -request, or neither to only list")
	}
	return s, nil
}

func run(ctx context.Context, s settings, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	if s.baseURL == "" {
		srv, err := startSandbox(&s)
		if err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "No SDKFINANCE_BASE_URL set: started the sandbox at %s\n", srv.URL)
	}

	client, err := newClient(s, stderr)
	if err != nil {
		return err
	}
	if err := showPending(ctx, client, stderr); err != nil {
		return fmt.Errorf("list pending reset requests: %w", err)
	}
	if s.requestID == "" {
		fmt.Fprintln(stderr, "Listed only: pass -user and -request to reset one of them.")
		return nil
	}

	fmt.Fprintf(stderr, "Resetting the identification of user %s (request %s)\n", s.userID, s.requestID)
	result, err := client.ResetIdentification(ctx, s.userID, s.requestID)
	if err != nil {
		return fmt.Errorf("reset identification: %w", err)
	}
	out, err := json.MarshalIndent(result, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the result: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// startSandbox starts the in-memory server, seeds a user with a pending
// reset request, and points s at both.
func startSandbox(s *settings) (*sdkfinancetest.Server, error) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	user := srv.AddUser("Alex Example")
	req, err := srv.AddResetRequest(user.ID,
		sdkfinancetest.WithDescription("Passport expired; new documents to follow"))
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("seed the sandbox: %w", err)
	}
	s.baseURL = srv.URL
	// A token from the environment belongs to another server.
	s.token = ""
	s.login, s.password = srv.Operator.Login, srv.Operator.Password
	if s.userID == "" && s.requestID == "" {
		s.userID, s.requestID = user.ID, req.ID
	}
	return srv, nil
}

func newClient(s settings, stderr io.Writer) (*sdkfinance.Client, error) {
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
	return sdkfinance.NewClient(s.baseURL, opts...)
}

// showPending prints every pending reset request as a table.
func showPending(ctx context.Context, client *sdkfinance.Client, w io.Writer) error {
	q := sdkfinance.ListQuery{Status: sdkfinance.StatusPending, PageSize: 100}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST ID\tUSER ID\tORGANIZATION ID\tDESCRIPTION")
	total := 0
	for {
		page, err := client.ListResetRequests(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.InitiatorUserID, r.OrganizationID, r.Description)
		}
		total += len(page.Records)
		if len(page.Records) == 0 || q.PageNumber+1 >= page.TotalPages {
			break
		}
		q.PageNumber++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "Pending reset requests: %d\n", total)
	return err
}
