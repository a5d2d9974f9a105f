package sdkfinance_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/internal/sandbox"
)

// connCalls is how many sequential calls each connection test makes.
const connCalls = 1000

// maxConns is how many TCP connections connCalls sequential calls may
// open: one, and one more in case the first is replaced.
const maxConns = 2

// connCountingSandbox serves the sandbox on 127.0.0.1 and counts the TCP
// connections that clients open to it. sdkfinancetest.Server reports only
// the connections open now, which would miss a client that closes each
// connection and opens another.
type connCountingSandbox struct {
	*sandbox.Sandbox
	URL    string
	opened atomic.Int64
}

func newConnCountingSandbox(t *testing.T) *connCountingSandbox {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := &connCountingSandbox{Sandbox: sb}
	srv := httptest.NewUnstartedServer(sb.Handler())
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL + sandbox.BasePath
	return s
}

// addOperator adds an operator login and returns a token for it.
func (s *connCountingSandbox) addOperator(t *testing.T, login string, permissions ...string) string {
	t.Helper()
	s.AddOperator(login, "operator-password", permissions)
	token, err := s.IssueToken(login)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// checkConnections fails the test when more than maxConns connections
// were opened.
func (s *connCountingSandbox) checkConnections(t *testing.T, calls int) {
	t.Helper()
	if n := s.opened.Load(); n > maxConns {
		t.Errorf("%d sequential calls opened %d TCP connections, want at most %d", calls, n, maxConns)
	}
}

func TestResetIdentificationReusesConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 1,000 calls; skipped in -short mode")
	}
	srv := newConnCountingSandbox(t)
	srv.AddOperator("operator@conn.test", "operator-password", []string{sandbox.PermissionResetIdentification})
	type target struct{ userID, id string }
	targets := make([]target, connCalls)
	for i := range targets {
		user := srv.AddUser(fmt.Sprintf("Conn User %d", i))
		rec, err := srv.AddResetRequest(user.ID, sandbox.Record{})
		if err != nil {
			t.Fatal(err)
		}
		targets[i] = target{user.ID, rec.ID}
	}
	// The default HTTP client and a cached login, as most callers use.
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials("operator@conn.test", "operator-password"))
	if err != nil {
		t.Fatal(err)
	}

	for i, tg := range targets {
		res, err := client.ResetIdentification(context.Background(), tg.userID, tg.id)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if res.Request.Status != sdkfinance.StatusApproved {
			t.Fatalf("call %d: status = %q, want APPROVED", i, res.Request.Status)
		}
	}
	srv.checkConnections(t, connCalls)
	if n := srv.RequestCount("login"); n != 1 {
		t.Errorf("login requests = %d, want 1", n)
	}
}

// TestErrorResponsesReuseConnection checks that the SDK reads and closes
// the body of every error response, so that the connection goes back to
// the pool: a body left open would make each call open a connection.
func TestErrorResponsesReuseConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 1,000 calls per case; skipped in -short mode")
	}
	cases := []struct {
		name string
		want error
		// setUp seeds the sandbox and returns one call to repeat.
		setUp func(t *testing.T, srv *connCountingSandbox) func(context.Context) error
	}{
		{
			name: "approve of an approved request is 409",
			want: sdkfinance.ErrConflict,
			setUp: func(t *testing.T, srv *connCountingSandbox) func(context.Context) error {
				client := newConnClient(t, srv, sandbox.PermissionResetIdentification)
				user := srv.AddUser("Approved User")
				rec, err := srv.AddResetRequest(user.ID, sandbox.Record{Status: sandbox.StatusApproved})
				if err != nil {
					t.Fatal(err)
				}
				return func(ctx context.Context) error {
					_, err := client.ApproveResetRequest(ctx, user.ID, rec.ID)
					return err
				}
			},
		},
		{
			name: "approve of an unknown request is 404",
			want: sdkfinance.ErrNotFound,
			setUp: func(t *testing.T, srv *connCountingSandbox) func(context.Context) error {
				client := newConnClient(t, srv, sandbox.PermissionResetIdentification)
				user := srv.AddUser("Unknown Request User")
				return func(ctx context.Context) error {
					_, err := client.ApproveResetRequest(ctx, user.ID, "no-such-request")
					return err
				}
			},
		},
		{
			name: "reset whose approve gets 409",
			want: sdkfinance.ErrConflict,
			setUp: func(t *testing.T, srv *connCountingSandbox) func(context.Context) error {
				client := newConnClient(t, srv, sandbox.PermissionResetIdentification)
				user := srv.AddUser("Conflict User")
				rec, err := srv.AddResetRequest(user.ID, sandbox.Record{})
				if err != nil {
					t.Fatal(err)
				}
				// The fault responds in place of the sandbox, so the
				// request stays pending and every lookup finds it.
				srv.SetFaultFunc("approveResetIdentification", func(int) sandbox.Fault {
					return sandbox.Fault{Status: http.StatusConflict}
				})
				return func(ctx context.Context) error {
					_, err := client.ResetIdentification(ctx, user.ID, rec.ID)
					return err
				}
			},
		},
		{
			name: "list without the permission is 403",
			want: sdkfinance.ErrForbidden,
			setUp: func(t *testing.T, srv *connCountingSandbox) func(context.Context) error {
				client := newConnClient(t, srv)
				return func(ctx context.Context) error {
					_, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{})
					return err
				}
			},
		},
		{
			name: "list that gets 503 with retries off",
			want: sdkfinance.ErrServer,
			setUp: func(t *testing.T, srv *connCountingSandbox) func(context.Context) error {
				client := newConnClient(t, srv, sandbox.PermissionResetIdentification)
				srv.SetFaultFunc("viewResetIdentificationRequests", func(int) sandbox.Fault {
					return sandbox.Fault{Status: http.StatusServiceUnavailable}
				})
				return func(ctx context.Context) error {
					_, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{})
					return err
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newConnCountingSandbox(t)
			call := tc.setUp(t, srv)
			for i := range connCalls {
				err := call(context.Background())
				if !errors.Is(err, tc.want) {
					t.Fatalf("call %d: error = %v, want one matching %v", i, err, tc.want)
				}
			}
			srv.checkConnections(t, connCalls)
		})
	}
}

// newConnClient returns a client with the default HTTP client, retries
// off, and the token of a new operator with the given permissions.
func newConnClient(t *testing.T, srv *connCountingSandbox, permissions ...string) *sdkfinance.Client {
	t.Helper()
	token := srv.addOperator(t, fmt.Sprintf("operator%d@conn.test", len(permissions)), permissions...)
	client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithToken(token),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return client
}
