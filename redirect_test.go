package sdkfinance_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sdkfinance-go/sdkfinance"
)

const (
	redirectToken = "redirect-test-token"
	// redirectAuth is the Authorization header a client built with
	// WithToken(redirectToken) sends.
	redirectAuth = sdkfinance.DefaultAuthScheme + " " + redirectToken
)

// authRecorder is a loopback server that records the Authorization header
// of every request and responds to each as to a successful approve.
type authRecorder struct {
	srv *httptest.Server

	mu    sync.Mutex
	auths []string
}

func newAuthRecorder(t *testing.T, tls bool) *authRecorder {
	t.Helper()
	rec := &authRecorder{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.auths = append(rec.auths, r.Header.Get("Authorization"))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"request":{"id":"r1","status":"APPROVED","initiatorUserId":"u1"},`+
			`"status":"ok","message":"processed successfully"}`)
	})
	if tls {
		rec.srv = httptest.NewTLSServer(handler)
	} else {
		rec.srv = httptest.NewServer(handler)
	}
	t.Cleanup(rec.srv.Close)
	return rec
}

// received returns the Authorization header of each request, "" where a
// request carried none.
func (rec *authRecorder) received() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.auths...)
}

// redirector is a loopback API server that records the Authorization
// header of every request and responds with a 307 to the same path under
// target.
type redirector struct {
	srv    *httptest.Server
	target string

	mu    sync.Mutex
	auths []string
}

func newRedirector(t *testing.T, tls bool, target string) *redirector {
	t.Helper()
	red := &redirector{target: target}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		red.mu.Lock()
		red.auths = append(red.auths, r.Header.Get("Authorization"))
		red.mu.Unlock()
		http.Redirect(w, r, red.target+r.URL.Path, http.StatusTemporaryRedirect)
	})
	if tls {
		red.srv = httptest.NewTLSServer(handler)
	} else {
		red.srv = httptest.NewServer(handler)
	}
	t.Cleanup(red.srv.Close)
	return red
}

func (red *redirector) received() []string {
	red.mu.Lock()
	defer red.mu.Unlock()
	return append([]string(nil), red.auths...)
}

// checkSentOnce checks that a server got exactly one request, with the
// Authorization header want ("" for none).
func checkSentOnce(t *testing.T, server string, got []string, want string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%s got %d requests, want 1", server, len(got))
	}
	if got[0] != want {
		t.Errorf("%s got Authorization %q, want %q", server, got[0], want)
	}
}

// approveThroughRedirect builds a client for baseURL with opts and sends
// one approve.
func approveThroughRedirect(t *testing.T, baseURL string, opts ...sdkfinance.Option) (*sdkfinance.ResetResult, error) {
	t.Helper()
	opts = append([]sdkfinance.Option{
		sdkfinance.WithToken(redirectToken),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{MaxAttempts: 1}),
	}, opts...)
	client, err := sdkfinance.NewClient(baseURL, opts...)
	if err != nil {
		t.Fatalf("NewClient(%q): %v", baseURL, err)
	}
	return client.ApproveResetRequest(context.Background(), "u1", "r1")
}

// The two servers listen on 127.0.0.1 on different ports. net/http
// compares only host names when it decides to forward Authorization, so
// it alone would send the token to the second port.
func TestRedirectToOtherPortDropsAuthorization(t *testing.T) {
	t.Parallel()
	other := newAuthRecorder(t, false)
	api := newRedirector(t, false, other.srv.URL)

	if _, err := approveThroughRedirect(t, api.srv.URL+"/api/v1"); err != nil {
		t.Fatalf("ApproveResetRequest: %v", err)
	}
	checkSentOnce(t, "API server", api.received(), redirectAuth)
	checkSentOnce(t, "redirect target", other.received(), "")
}

// A redirect within the API server keeps the header, so the tests that
// expect it dropped show the guard's work and not a header never sent.
func TestRedirectToSameOriginKeepsAuthorization(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	var mu sync.Mutex
	var targetAuths []string
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/moved/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		targetAuths = append(targetAuths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"request":{"id":"r1","status":"APPROVED"},"status":"ok"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	if _, err := approveThroughRedirect(t, srv.URL+"/api/v1"); err != nil {
		t.Fatalf("ApproveResetRequest: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	checkSentOnce(t, "redirect target on the same origin", targetAuths, redirectAuth)
}

// checkRedirectCounter returns a CheckRedirect function that counts its
// calls and returns result.
func checkRedirectCounter(calls *atomic.Int32, result error) func(*http.Request, []*http.Request) error {
	return func(*http.Request, []*http.Request) error {
		calls.Add(1)
		return result
	}
}

func TestRedirectWithCallerClientDropsAuthorization(t *testing.T) {
	t.Parallel()
	other := newAuthRecorder(t, false)
	api := newRedirector(t, false, other.srv.URL)
	var calls atomic.Int32
	hc := &http.Client{
		Transport:     &http.Transport{},
		CheckRedirect: checkRedirectCounter(&calls, nil),
	}
	t.Cleanup(hc.CloseIdleConnections)

	if _, err := approveThroughRedirect(t, api.srv.URL+"/api/v1", sdkfinance.WithHTTPClient(hc)); err != nil {
		t.Fatalf("ApproveResetRequest: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("caller's CheckRedirect ran %d times, want 1", n)
	}
	checkSentOnce(t, "API server", api.received(), redirectAuth)
	checkSentOnce(t, "redirect target", other.received(), "")
}

// A CheckRedirect that stops the redirect still decides: the target gets
// nothing and the 307 comes back as an error.
func TestRedirectStoppedByCallerCheckRedirect(t *testing.T) {
	t.Parallel()
	other := newAuthRecorder(t, false)
	api := newRedirector(t, false, other.srv.URL)
	var calls atomic.Int32
	hc := &http.Client{
		Transport:     &http.Transport{},
		CheckRedirect: checkRedirectCounter(&calls, http.ErrUseLastResponse),
	}
	t.Cleanup(hc.CloseIdleConnections)

	res, err := approveThroughRedirect(t, api.srv.URL+"/api/v1", sdkfinance.WithHTTPClient(hc))
	if err == nil {
		t.Fatalf("ApproveResetRequest = %+v, want the 307 as an error", res)
	}
	var apiErr *sdkfinance.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error is %T, want *sdkfinance.APIError: %v", err, err)
	}
	if apiErr.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("APIError.StatusCode = %d, want %d", apiErr.StatusCode, http.StatusTemporaryRedirect)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("caller's CheckRedirect ran %d times, want 1", n)
	}
	if got := other.received(); len(got) != 0 {
		t.Errorf("redirect target got %d requests, want 0", len(got))
	}
}

// A redirect from https to http on the same address keeps the host name,
// which is all net/http compares, so only the guard drops the header.
func TestRedirectFromHTTPSToHTTPDropsAuthorization(t *testing.T) {
	t.Parallel()
	other := newAuthRecorder(t, false)
	api := newRedirector(t, true, other.srv.URL)
	// The test server's client trusts its certificate.
	hc := api.srv.Client()
	var calls atomic.Int32
	hc.CheckRedirect = checkRedirectCounter(&calls, nil)

	if _, err := approveThroughRedirect(t, api.srv.URL+"/api/v1", sdkfinance.WithHTTPClient(hc)); err != nil {
		t.Fatalf("ApproveResetRequest: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("caller's CheckRedirect ran %d times, want 1", n)
	}
	checkSentOnce(t, "API server", api.received(), redirectAuth)
	checkSentOnce(t, "redirect target", other.received(), "")
}

// net/http forwards Authorization to a subdomain of the first host. The
// names end in .test, reserved by RFC 2606, and the client's dialer maps
// each one to a loopback server, so no name is ever resolved.
func TestRedirectToSubdomainDropsAuthorization(t *testing.T) {
	t.Parallel()
	other := newAuthRecorder(t, false)
	api := newRedirector(t, false, "http://eu.api.test")
	addrs := map[string]string{
		"api.test:80":    api.srv.Listener.Addr().String(),
		"eu.api.test:80": other.srv.Listener.Addr().String(),
	}
	var dialer net.Dialer
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			loopback, ok := addrs[addr]
			if !ok {
				return nil, errors.New("test dialer: no loopback server for " + addr)
			}
			return dialer.DialContext(ctx, network, loopback)
		},
	}
	var calls atomic.Int32
	hc := &http.Client{Transport: transport, CheckRedirect: checkRedirectCounter(&calls, nil)}
	t.Cleanup(hc.CloseIdleConnections)

	_, err := approveThroughRedirect(t, "http://api.test/api/v1",
		sdkfinance.WithHTTPClient(hc), sdkfinance.WithInsecureHTTP())
	if err != nil {
		t.Fatalf("ApproveResetRequest: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("caller's CheckRedirect ran %d times, want 1", n)
	}
	checkSentOnce(t, "API server", api.received(), redirectAuth)
	checkSentOnce(t, "redirect target", other.received(), "")
}

func TestNewClientRejectsPlainHTTPToRemoteHost(t *testing.T) {
	t.Parallel()
	for _, baseURL := range []string{
		"http://example.com/api/v1",
		"http://localhost.example.com/api/v1",
		"http://10.0.0.1:8080/api/v1",
		"http://0.0.0.0/api/v1",
	} {
		t.Run(baseURL, func(t *testing.T) {
			t.Parallel()
			client, err := sdkfinance.NewClient(baseURL, sdkfinance.WithToken(redirectToken))
			if err == nil {
				t.Fatalf("NewClient(%q) = %v, want an error", baseURL, client)
			}
			if !errors.Is(err, sdkfinance.ErrInvalidArgument) {
				t.Errorf("NewClient(%q) error does not match ErrInvalidArgument: %v", baseURL, err)
			}
			var argErr *sdkfinance.InvalidArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("NewClient(%q) error is %T, want *InvalidArgumentError", baseURL, err)
			}
			if argErr.Name != "baseURL" {
				t.Errorf("InvalidArgumentError.Name = %q, want %q", argErr.Name, "baseURL")
			}
			if !strings.Contains(err.Error(), "WithInsecureHTTP") {
				t.Errorf("error text %q does not mention WithInsecureHTTP", err.Error())
			}
		})
	}
}

// The client is only built: nothing may be sent to example.com.
func TestNewClientAcceptsPlainHTTPWithInsecureHTTP(t *testing.T) {
	t.Parallel()
	const baseURL = "http://example.com/api/v1"
	client, err := sdkfinance.NewClient(baseURL, sdkfinance.WithToken(redirectToken),
		sdkfinance.WithInsecureHTTP())
	if err != nil {
		t.Fatalf("NewClient(%q, WithInsecureHTTP()): %v", baseURL, err)
	}
	if got := client.BaseURL(); got != baseURL {
		t.Errorf("BaseURL() = %q, want %q", got, baseURL)
	}
}

// The client is only built: nothing may be sent to example.com.
func TestNewClientAcceptsHTTPSToRemoteHost(t *testing.T) {
	t.Parallel()
	const baseURL = "https://example.com/api/v1"
	if _, err := sdkfinance.NewClient(baseURL, sdkfinance.WithToken(redirectToken)); err != nil {
		t.Fatalf("NewClient(%q): %v", baseURL, err)
	}
}

// The clients are only built, so nothing is sent to the ports named.
func TestNewClientAcceptsPlainHTTPToLoopback(t *testing.T) {
	t.Parallel()
	for _, baseURL := range []string{
		"http://127.0.0.1/api/v1",
		"http://127.0.0.1:8080/api/v1",
		"http://127.5.6.7/api/v1",
		"http://[::1]/api/v1",
		"http://[::1]:8080/api/v1",
		"http://localhost/api/v1",
		"http://LOCALHOST:8080/api/v1",
	} {
		t.Run(baseURL, func(t *testing.T) {
			t.Parallel()
			client, err := sdkfinance.NewClient(baseURL, sdkfinance.WithToken(redirectToken))
			if err != nil {
				t.Fatalf("NewClient(%q): %v", baseURL, err)
			}
			if got := client.BaseURL(); got != baseURL {
				t.Errorf("BaseURL() = %q, want %q", got, baseURL)
			}
		})
	}
}
