package sdkfinance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const retryingMessage = "sdkfinance: retrying request"

// recordingHandler is a slog.Handler that keeps every record and calls
// onRecord, if set, for each one.
type recordingHandler struct {
	mu       sync.Mutex
	records  []slog.Record
	onRecord func(slog.Record)
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	if h.onRecord != nil {
		h.onRecord(r)
	}
	return nil
}

// waits returns the "wait" attribute of every retry record, in order.
func (h *recordingHandler) waits() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Duration
	for _, r := range h.records {
		if r.Message != retryingMessage {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "wait" {
				out = append(out, a.Value.Duration())
			}
			return true
		})
	}
	return out
}

// resetByPeer is a transport error after the request may have been
// written, which no approve or decline may retry.
func resetByPeer() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
}

// refusedDial is a transport error while connecting, before any byte of
// the request was written.
func refusedDial() error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
}

func TestListRetriedUpToMaxAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int   // 0 for a transport error
		err    error // the transport error
		want   error
	}{
		{name: "429", status: http.StatusTooManyRequests, want: ErrRateLimited},
		{name: "502", status: http.StatusBadGateway, want: ErrServer},
		{name: "503", status: http.StatusServiceUnavailable, want: ErrServer},
		{name: "504", status: http.StatusGatewayTimeout, want: ErrServer},
		{name: "reset connection", err: resetByPeer()},
		{name: "refused dial", err: refusedDial()},
		{name: "unexpected EOF", err: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				if tc.err != nil {
					return nil, tc.err
				}
				return jsonReply(tc.status, `{"code":"BUSY","mdcId":"mdc-r"}`)
			})
			c := stub.newClient(t, WithToken(testToken))
			page, err := c.ListResetRequests(context.Background(), ListQuery{})
			if page != nil {
				t.Errorf("page = %+v, want nil", page)
			}
			if n := stub.count("list"); n != fastRetry.MaxAttempts {
				t.Errorf("sent %d lists, want %d (MaxAttempts)", n, fastRetry.MaxAttempts)
			}
			assertOneLineError(t, err)

			if tc.err != nil {
				var transportErr *TransportError
				if !errors.As(err, &transportErr) {
					t.Fatalf("error = %v (%T), want a *TransportError", err, err)
				}
				if transportErr.Attempts != fastRetry.MaxAttempts {
					t.Errorf("Attempts = %d, want %d", transportErr.Attempts, fastRetry.MaxAttempts)
				}
				if !strings.Contains(err.Error(), "after 3 attempts") {
					t.Errorf("error text %q does not give the attempt count", err.Error())
				}
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d from the last attempt", apiErr.StatusCode, tc.status)
			}
			if apiErr.Attempts != fastRetry.MaxAttempts {
				t.Errorf("Attempts = %d, want %d", apiErr.Attempts, fastRetry.MaxAttempts)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v does not match %v", err, tc.want)
			}
		})
	}
}

func TestListRetrySucceeds(t *testing.T) {
	t.Parallel()
	var lists atomic.Int64
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		switch lists.Add(1) {
		case 1:
			return nil, resetByPeer()
		case 2:
			return jsonReply(http.StatusServiceUnavailable, `{}`)
		}
		return jsonReply(http.StatusOK, pageJSON(0, 1, resetRecord("r1", "u1", StatusPending)))
	})
	c := stub.newClient(t, WithToken(testToken))
	page, err := c.ListResetRequests(context.Background(), ListQuery{})
	if err != nil {
		t.Fatalf("ListResetRequests after two transient failures: %v", err)
	}
	if len(page.Records) != 1 {
		t.Errorf("got %d records, want 1", len(page.Records))
	}
	if n := stub.count("list"); n != 3 {
		t.Errorf("sent %d lists, want 3", n)
	}
}

func TestListNotRetriedOnFinalStatus(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 409, 422, 500, 501} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				return jsonReply(status, `{}`)
			})
			c := stub.newClient(t, WithToken(testToken))
			_, err := c.ListResetRequests(context.Background(), ListQuery{})
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if n := stub.count("list"); n != 1 {
				t.Errorf("sent %d lists, want 1 because %d is not retried", n, status)
			}
			if apiErr.Attempts != 1 {
				t.Errorf("Attempts = %d, want 1", apiErr.Attempts)
			}
		})
	}
}

func TestDecisionRetriedWhenNotProcessed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		err    error
	}{
		{name: "429", status: http.StatusTooManyRequests},
		{name: "503", status: http.StatusServiceUnavailable},
		{name: "dial error", err: refusedDial()},
		{name: "DNS error", err: &net.DNSError{Err: "no such host", Name: "sdkfinance.test", IsNotFound: true}},
	}
	for _, action := range []string{"approve", "decline"} {
		for _, tc := range tests {
			t.Run(action+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
					if r.Operation != action {
						return nil, errors.New("stub: only the " + action + " is expected")
					}
					if tc.err != nil {
						return nil, tc.err
					}
					return jsonReply(tc.status, `{"code":"BUSY"}`)
				})
				c := stub.newClient(t, WithToken(testToken))
				var err error
				if action == "approve" {
					_, err = c.ApproveResetRequest(context.Background(), "u1", "r1")
				} else {
					_, err = c.DeclineResetRequest(context.Background(), "u1", "r1")
				}
				if err == nil {
					t.Fatal("error = nil, want the last attempt's error")
				}
				if n := stub.count(action); n != fastRetry.MaxAttempts {
					t.Errorf("sent %d %ss, want %d (MaxAttempts)", n, action, fastRetry.MaxAttempts)
				}
				if n := stub.count("list"); n != 0 {
					t.Errorf("sent %d lists, want none because the outcome is known", n)
				}
				if tc.err != nil {
					var transportErr *TransportError
					if !errors.As(err, &transportErr) {
						t.Fatalf("error = %v (%T), want a *TransportError", err, err)
					}
					if transportErr.Attempts != fastRetry.MaxAttempts {
						t.Errorf("Attempts = %d, want %d", transportErr.Attempts, fastRetry.MaxAttempts)
					}
					return
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error = %v (%T), want an *APIError", err, err)
				}
				if apiErr.Attempts != fastRetry.MaxAttempts {
					t.Errorf("Attempts = %d, want %d", apiErr.Attempts, fastRetry.MaxAttempts)
				}
			})
		}
	}
}

func TestDecisionSentOnceWhenMaybeProcessed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		err    error
	}{
		{name: "500", status: http.StatusInternalServerError},
		{name: "502", status: http.StatusBadGateway},
		{name: "504", status: http.StatusGatewayTimeout},
		{name: "reset connection", err: resetByPeer()},
		{name: "unexpected EOF", err: io.ErrUnexpectedEOF},
	}
	for _, action := range []string{"approve", "decline"} {
		for _, tc := range tests {
			t.Run(action+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				// The list, read back to learn the outcome, no longer
				// holds the request, so nothing may be sent again.
				stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
					switch {
					case r.Operation == "list":
						return jsonReply(http.StatusOK, pageJSON(0, 1))
					case tc.err != nil:
						return nil, tc.err
					}
					return jsonReply(tc.status, `{"code":"OOPS"}`)
				})
				c := stub.newClient(t, WithToken(testToken))
				var result *ResetResult
				var err error
				if action == "approve" {
					result, err = c.ApproveResetRequest(context.Background(), "u1", "r1")
				} else {
					result, err = c.DeclineResetRequest(context.Background(), "u1", "r1")
				}
				if result != nil {
					t.Errorf("result = %+v, want nil", result)
				}
				if n := stub.count(action); n != 1 {
					t.Errorf("sent %d %ss, want exactly 1", n, action)
				}
				if tc.err != nil {
					var transportErr *TransportError
					if !errors.As(err, &transportErr) {
						t.Fatalf("error = %v (%T), want one wrapping a *TransportError", err, err)
					}
					if transportErr.Attempts != 1 {
						t.Errorf("Attempts = %d, want 1", transportErr.Attempts)
					}
					return
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error = %v (%T), want one wrapping an *APIError", err, err)
				}
				if apiErr.StatusCode != tc.status {
					t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
				}
				if apiErr.Attempts != 1 {
					t.Errorf("Attempts = %d, want 1", apiErr.Attempts)
				}
			})
		}
	}
}

// closedLoopbackURL returns an API root on a 127.0.0.1 port whose
// listener is closed, so that every dial is refused.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close the listener: %v", err)
	}
	return "http://" + addr + "/api/v1"
}

// loopbackHTTPClient returns a client with its own transport and no
// proxy, so that requests go straight to the loopback address.
func loopbackHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	transport := &http.Transport{Proxy: nil}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport}
}

func TestDialRefusedOnClosedPort(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		run  func(c *Client) error
	}{
		{"approve", func(c *Client) error {
			_, err := c.ApproveResetRequest(context.Background(), "u1", "r1")
			return err
		}},
		{"list", func(c *Client) error {
			_, err := c.ListResetRequests(context.Background(), ListQuery{})
			return err
		}},
	}
	for _, call := range calls {
		t.Run(call.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(closedLoopbackURL(t), WithHTTPClient(loopbackHTTPClient(t)),
				WithToken(testToken), WithRetry(fastRetry))
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			err = call.run(c)
			var transportErr *TransportError
			if !errors.As(err, &transportErr) {
				t.Fatalf("error = %v (%T), want a *TransportError", err, err)
			}
			if transportErr.Attempts != fastRetry.MaxAttempts {
				t.Errorf("Attempts = %d, want %d because a refused dial is retried",
					transportErr.Attempts, fastRetry.MaxAttempts)
			}
			var opErr *net.OpError
			if !errors.As(err, &opErr) {
				t.Fatalf("error %v does not wrap a *net.OpError", err)
			}
			if opErr.Op != "dial" {
				t.Errorf("net.OpError.Op = %q, want dial", opErr.Op)
			}
			assertOneLineError(t, err)
		})
	}
}

func TestApproveSentOnceWhenConnectionDrops(t *testing.T) {
	t.Parallel()
	// A real server reads the approve, then closes the connection
	// without a response, so the client cannot tell whether it happened.
	var approves atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/approve") {
			approves.Add(1)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			_ = conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, pageJSON(0, 1))
	}))
	t.Cleanup(srv.Close)

	c, err := NewClient(srv.URL+"/api/v1", WithHTTPClient(loopbackHTTPClient(t)),
		WithToken(testToken), WithRetry(fastRetry))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	result, err := c.ApproveResetRequest(context.Background(), "u1", "r1")
	if result != nil {
		t.Errorf("result = %+v, want nil", result)
	}
	if err == nil {
		t.Fatal("error = nil, want one for the dropped connection")
	}
	if n := approves.Load(); n != 1 {
		t.Errorf("server received %d approves, want exactly 1", n)
	}
	assertOneLineError(t, err)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"   ", 0},
		{"5", 5 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"1.5", 0},
		{"soon", 0},
		{"86400", 24 * time.Hour},
		{"86401", 24 * time.Hour},
		{"99999999999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Format(http.TimeFormat), 0},
		{now.Add(2 * time.Hour).Format(time.RFC850), 2 * time.Hour},
		{now.Add(3 * time.Second).Format(time.ANSIC), 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			if got := parseRetryAfter(tc.value, now); got != tc.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestRetryWaitCapsRetryAfter(t *testing.T) {
	t.Parallel()
	c, err := NewClient(stubBaseURL, WithInsecureHTTP(), WithRetry(RetryPolicy{
		BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 3 * time.Second,
	}))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.jitter = func(n int64) int64 { return n - 1 } // the largest value

	tests := []struct {
		name       string
		retry      int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"Retry-After below the cap", 1, 2 * time.Second, 2 * time.Second},
		{"Retry-After at the cap", 1, 3 * time.Second, 3 * time.Second},
		{"Retry-After over the cap", 1, 10 * time.Second, 3 * time.Second},
		{"Retry-After replaces a shorter backoff", 1, 500 * time.Millisecond, 500 * time.Millisecond},
		{"Retry-After replaces a longer backoff", 5, 50 * time.Millisecond, 50 * time.Millisecond},
		{"no Retry-After, first retry", 1, 0, 100 * time.Millisecond},
		{"no Retry-After, third retry", 3, 0, 400 * time.Millisecond},
		{"no Retry-After, capped backoff", 9, 0, time.Second},
	}
	for _, tc := range tests {
		if got := c.retryWait(tc.retry, tc.retryAfter); got != tc.want {
			t.Errorf("%s: retryWait(%d, %v) = %v, want %v", tc.name, tc.retry, tc.retryAfter, got, tc.want)
		}
	}
}

func TestRetryAfterHonouredInFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter func() string
		maxAfter   time.Duration
		want       time.Duration
	}{
		{"seconds capped", func() string { return "120" }, 2 * time.Millisecond, 2 * time.Millisecond},
		{"HTTP date capped", func() string { return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat) },
			3 * time.Millisecond, 3 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var lists atomic.Int64
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				if lists.Add(1) == 1 {
					resp, err := jsonReply(http.StatusTooManyRequests, `{}`)
					resp.Header.Set("Retry-After", tc.retryAfter())
					return resp, err
				}
				return jsonReply(http.StatusOK, pageJSON(0, 1))
			})
			logs := &recordingHandler{}
			c := stub.newClient(t, WithToken(testToken), WithLogger(slog.New(logs)), WithRetry(RetryPolicy{
				MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: tc.maxAfter,
			}))
			c.jitter = func(int64) int64 { return 0 } // a backoff would wait zero

			if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
				t.Fatalf("ListResetRequests: %v", err)
			}
			waits := logs.waits()
			if len(waits) != 1 {
				t.Fatalf("logged %d retries, want 1", len(waits))
			}
			if waits[0] != tc.want {
				t.Errorf("waited %v, want the capped Retry-After %v", waits[0], tc.want)
			}
		})
	}
}

func TestRetryAfterPastDeadlineReturnsAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		operation string
		status    int
		want      error
	}{
		{"list 429", "list", http.StatusTooManyRequests, ErrRateLimited},
		{"list 503", "list", http.StatusServiceUnavailable, ErrServer},
		{"approve 429", "approve", http.StatusTooManyRequests, ErrRateLimited},
		{"approve 503", "approve", http.StatusServiceUnavailable, ErrServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				resp, err := jsonReply(tc.status, `{"code":"SLOW_DOWN"}`)
				resp.Header.Set("Retry-After", "7200")
				return resp, err
			})
			c := stub.newClient(t, WithToken(testToken), WithRetry(RetryPolicy{
				MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond,
				MaxRetryAfter: 3 * time.Hour,
			}))
			// The deadline is an hour away, so a two-hour Retry-After
			// cannot fit. The call must return instead of waiting.
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()

			var err error
			if tc.operation == "list" {
				_, err = c.ListResetRequests(ctx, ListQuery{})
			} else {
				_, err = c.ApproveResetRequest(ctx, "u1", "r1")
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
			}
			if apiErr.RetryAfter != 2*time.Hour {
				t.Errorf("RetryAfter = %v, want 2h", apiErr.RetryAfter)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v does not match %v", err, tc.want)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v matches context.DeadlineExceeded, but the deadline has not passed", err)
			}
			if n := stub.count(tc.operation); n != 1 {
				t.Errorf("sent %d %s requests, want 1", n, tc.operation)
			}
		})
	}
}

func TestCancelDuringRetryWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		operation string
		reply     stubHandler
		check     func(t *testing.T, err error)
	}{
		{
			name:      "list after 429",
			operation: "list",
			reply: func(*stubRequest) (*http.Response, error) {
				resp, err := jsonReply(http.StatusTooManyRequests, `{"code":"SLOW_DOWN","mdcId":"mdc-9"}`)
				resp.Header.Set("Retry-After", "3600")
				return resp, err
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrRateLimited) {
					t.Errorf("error %v does not match ErrRateLimited", err)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v does not wrap an *APIError", err)
				}
				if apiErr.RetryAfter != time.Hour {
					t.Errorf("RetryAfter = %v, want 1h", apiErr.RetryAfter)
				}
				if apiErr.MdcID != "mdc-9" {
					t.Errorf("MdcID = %q, want mdc-9", apiErr.MdcID)
				}
			},
		},
		{
			name:      "approve after 503",
			operation: "approve",
			reply: func(*stubRequest) (*http.Response, error) {
				resp, err := jsonReply(http.StatusServiceUnavailable, `{}`)
				resp.Header.Set("Retry-After", "3600")
				return resp, err
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrServer) {
					t.Errorf("error %v does not match ErrServer", err)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v does not wrap an *APIError", err)
				}
			},
		},
		{
			name:      "list after reset connection",
			operation: "list",
			reply:     func(*stubRequest) (*http.Response, error) { return nil, resetByPeer() },
			check: func(t *testing.T, err error) {
				var transportErr *TransportError
				if !errors.As(err, &transportErr) {
					t.Fatalf("error %v does not wrap a *TransportError", err)
				}
				var opErr *net.OpError
				if !errors.As(err, &opErr) {
					t.Errorf("error %v does not wrap the *net.OpError", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The client logs each retry just before it starts waiting,
			// so cancelling there lands inside the wait.
			logs := &recordingHandler{onRecord: func(r slog.Record) {
				if r.Message == retryingMessage {
					cancel()
				}
			}}
			stub := newStubAPI(t, tc.reply)
			c := stub.newClient(t, WithToken(testToken), WithLogger(slog.New(logs)), WithRetry(RetryPolicy{
				MaxAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour, MaxRetryAfter: 2 * time.Hour,
			}))
			c.jitter = func(n int64) int64 { return n - 1 } // wait the whole hour

			var err error
			if tc.operation == "list" {
				_, err = c.ListResetRequests(ctx, ListQuery{})
			} else {
				_, err = c.ApproveResetRequest(ctx, "u1", "r1")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not match context.Canceled", err)
			}
			tc.check(t, err)
			if n := stub.count(tc.operation); n != 1 {
				t.Errorf("sent %d %s requests, want 1 because the wait was cancelled", n, tc.operation)
			}
			assertOneLineError(t, err)
		})
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		base, limit time.Duration
		retry       int
		ceiling     time.Duration
	}{
		{"first retry", 100 * time.Millisecond, 5 * time.Second, 1, 100 * time.Millisecond},
		{"second retry", 100 * time.Millisecond, 5 * time.Second, 2, 200 * time.Millisecond},
		{"fifth retry", 100 * time.Millisecond, 5 * time.Second, 5, 1600 * time.Millisecond},
		{"capped", 100 * time.Millisecond, 5 * time.Second, 7, 5 * time.Second},
		{"far past the cap", 100 * time.Millisecond, 5 * time.Second, 99, 5 * time.Second},
		// MaxDelay 0 takes the default 5s, which the base passes.
		{"base over the default cap", 10 * time.Second, 0, 1, 5 * time.Second},
		{"nanosecond base", time.Nanosecond, time.Microsecond, 4, 8 * time.Nanosecond},
		{"default policy", 200 * time.Millisecond, 5 * time.Second, 3, 800 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(stubBaseURL, WithInsecureHTTP(),
				WithRetry(RetryPolicy{BaseDelay: tc.base, MaxDelay: tc.limit}))
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}

			var bound int64
			c.jitter = func(n int64) int64 { bound = n; return n - 1 }
			if got := c.backoff(tc.retry); got != tc.ceiling {
				t.Errorf("backoff with the largest jitter = %v, want the ceiling %v", got, tc.ceiling)
			}
			if bound != int64(tc.ceiling)+1 {
				t.Errorf("jitter bound = %d, want %d so that the ceiling itself can be drawn",
					bound, int64(tc.ceiling)+1)
			}

			c.jitter = func(int64) int64 { return 0 }
			if got := c.backoff(tc.retry); got != 0 {
				t.Errorf("backoff with the smallest jitter = %v, want 0", got)
			}

			c.jitter = randomInt63n
			for i := 0; i < 1000; i++ {
				if got := c.backoff(tc.retry); got < 0 || got > tc.ceiling {
					t.Fatalf("random backoff = %v, want within [0, %v]", got, tc.ceiling)
				}
			}
		})
	}
}

func TestBackoffWithHugeDelays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		base, limit time.Duration
	}{
		{"largest cap", time.Second, math.MaxInt64},
		{"largest base and cap", math.MaxInt64, math.MaxInt64},
		{"cap just over half the range", time.Second, math.MaxInt64/2 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(stubBaseURL, WithInsecureHTTP(),
				WithRetry(RetryPolicy{BaseDelay: tc.base, MaxDelay: tc.limit}))
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			c.jitter = func(n int64) int64 {
				if n <= 0 {
					t.Fatalf("jitter bound = %d, want a positive bound", n)
				}
				return n - 1
			}
			previous := time.Duration(0)
			for retry := 1; retry <= 100; retry++ {
				got := c.backoff(retry)
				if got < previous {
					t.Fatalf("backoff(%d) = %v, less than backoff(%d) = %v; the ceiling must not shrink",
						retry, got, retry-1, previous)
				}
				if got > tc.limit {
					t.Fatalf("backoff(%d) = %v, over MaxDelay %v", retry, got, tc.limit)
				}
				previous = got
			}
		})
	}
}

func TestWithRetryValidation(t *testing.T) {
	t.Parallel()
	rejected := []struct {
		name   string
		policy RetryPolicy
	}{
		{"negative attempts", RetryPolicy{MaxAttempts: -1}},
		{"too many attempts", RetryPolicy{MaxAttempts: 101}},
		{"negative base delay", RetryPolicy{BaseDelay: -time.Millisecond}},
		{"negative max delay", RetryPolicy{MaxDelay: -time.Millisecond}},
		{"negative Retry-After cap", RetryPolicy{MaxRetryAfter: -time.Second}},
		{"negative attempt timeout", RetryPolicy{AttemptTimeout: -time.Second}},
		{"budget below -1", RetryPolicy{Budget: -2}},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(stubBaseURL, WithInsecureHTTP(), WithRetry(tc.policy))
			if c != nil {
				t.Errorf("client = %v, want nil", c)
			}
			var argErr *InvalidArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error = %v, want an *InvalidArgumentError", err)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("error %v does not match ErrInvalidArgument", err)
			}
			if argErr.Name != "WithRetry" {
				t.Errorf("Name = %q, want WithRetry", argErr.Name)
			}
		})
	}

	accepted := []struct {
		name   string
		policy RetryPolicy
		want   RetryPolicy
	}{
		{"zero policy takes the defaults", RetryPolicy{}, DefaultRetryPolicy()},
		{"one attempt", RetryPolicy{MaxAttempts: 1}, func() RetryPolicy {
			p := DefaultRetryPolicy()
			p.MaxAttempts = 1
			return p
		}()},
		{"hundred attempts", RetryPolicy{MaxAttempts: 100}, func() RetryPolicy {
			p := DefaultRetryPolicy()
			p.MaxAttempts = 100
			return p
		}()},
		{"budget off", RetryPolicy{Budget: -1}, func() RetryPolicy {
			p := DefaultRetryPolicy()
			p.Budget = -1
			return p
		}()},
		{"every field set", fastRetry, func() RetryPolicy {
			p := fastRetry
			p.Budget = DefaultRetryPolicy().Budget
			return p
		}()},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(stubBaseURL, WithInsecureHTTP(), WithRetry(tc.policy))
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if c.retry != tc.want {
				t.Errorf("policy = %+v, want %+v", c.retry, tc.want)
			}
		})
	}
}

func TestRetryResendsWholeBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		operation string
		run       func(c *Client) error
		body      string
	}{
		{
			name:      "list",
			operation: "list",
			run: func(c *Client) error {
				_, err := c.ListResetRequests(context.Background(), ListQuery{
					Status: StatusPending, OrganizationID: "org-1", SortByStatus: SortAscending,
					PageNumber: 4, PageSize: 30,
				})
				return err
			},
			body: `{"filter":{"status":"PENDING","organizationId":"org-1"},"sort":{"status":"asc"},` +
				`"pageNumber":4,"pageSize":30}`,
		},
		{
			name:      "login",
			operation: "login",
			run: func(c *Client) error {
				_, err := c.ListResetRequests(context.Background(), ListQuery{})
				return err
			},
			body: `{"login":"op","password":"hunter2-secret"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var failures atomic.Int64
			stub := newStubAPI(t, nil)
			stub.handle = func(r *stubRequest) (*http.Response, error) {
				if r.Operation == tc.operation && failures.Add(1) <= 2 {
					if failures.Load() == 1 {
						return nil, resetByPeer()
					}
					return jsonReply(http.StatusServiceUnavailable, `{}`)
				}
				return stub.defaultRoutes(r)
			}
			c := stub.newClient(t, WithCredentials(testLogin, testPassword))
			if err := tc.run(c); err != nil {
				t.Fatalf("%s after two transient failures: %v", tc.name, err)
			}

			attempts := stub.of(tc.operation)
			if len(attempts) != 3 {
				t.Fatalf("sent %d %s requests, want 3", len(attempts), tc.operation)
			}
			for i, r := range attempts {
				assertJSONEqual(t, fmt.Sprintf("%s body of attempt %d", tc.name, i+1), r.Body, tc.body)
				if !bytes.Equal(r.Body, attempts[0].Body) {
					t.Errorf("attempt %d sent %q, want the same bytes as attempt 1, %q", i+1, r.Body, attempts[0].Body)
				}
				if got := r.Header.Get("Content-Type"); got != "application/json" {
					t.Errorf("attempt %d Content-Type = %q, want application/json", i+1, got)
				}
			}
		})
	}
}
