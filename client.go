package sdkfinance

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// Version is the SDK's version, sent in the default User-Agent header.
const Version = "0.1.0"

// Defaults of a [Client] built without the matching option.
const (
	// DefaultAuthScheme is the Authorization header scheme that SDK.Finance's
	// own web client sends: "Authorization: TOKEN <token>".
	DefaultAuthScheme = "TOKEN"

	// DefaultPageSize is the page size that [Client.ResetIdentification]
	// uses to look through the pending list. SDK.Finance does not document
	// its largest accepted page size; 100 is a guess that keeps a page
	// small. Raise it with [WithPageSize] where the server accepts more.
	DefaultPageSize = 100

	// DefaultLookupConcurrency is how many pages of the pending list the
	// lookup in [Client.ResetIdentification] fetches at once, after the
	// first page has reported how many there are.
	DefaultLookupConcurrency = 8

	// DefaultMaxResponseBytes caps how much of one response body is read.
	DefaultMaxResponseBytes = 4 << 20
)

// Client calls the SDK.Finance identification-reset API. Build one with
// [NewClient]. A Client is safe for concurrent use by many goroutines and is
// read-only after construction, except for the cached login token, which is
// guarded by its own lock.
type Client struct {
	baseURL           *url.URL
	api               *api.Client
	httpClient        *http.Client
	logger            *slog.Logger
	auth              *authenticator
	retry             RetryPolicy
	budget            *retryBudget
	jitter            func(n int64) int64 // returns a random value in [0, n)
	pageSize          int
	lookupConcurrency int
	maxBody           int64
	userAgent         string
	auditHook         func(AuditEvent)
	requestHook       RequestHook
	responseHook      ResponseHook
}

// Option configures a [Client]. Options validate their arguments, and
// [NewClient] returns the first error an option reports.
type Option func(*config) error

// config collects what the options set before NewClient builds the Client.
type config struct {
	httpClient   *http.Client
	logger       *slog.Logger
	token        *secret
	login        string
	password     *secret
	otp          OTPFunc
	authScheme   string
	orgID        string
	retry        RetryPolicy
	pageSize     int
	lookup       int
	maxBody      int64
	userAgent    string
	insecure     bool
	auditHook    func(AuditEvent)
	requestHook  RequestHook
	responseHook ResponseHook
}

// NewClient returns a Client for the API rooted at baseURL, which includes
// the version prefix, for example "https://sandbox.example.com/api/v1". A
// trailing slash is tolerated. The URL must be absolute with an http or
// https scheme and carry no user information, query or fragment.
//
// Without [WithToken] or [WithCredentials] the client sends no
// Authorization header, which only the login endpoints accept.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}

	cfg := config{
		authScheme: DefaultAuthScheme,
		retry:      DefaultRetryPolicy(),
		pageSize:   DefaultPageSize,
		lookup:     DefaultLookupConcurrency,
		maxBody:    DefaultMaxResponseBytes,
		userAgent:  "sdkfinance-go/" + Version,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.token != nil && cfg.password != nil {
		return nil, invalidOption("WithToken", "cannot be combined with WithCredentials; pass one of them")
	}
	if u.Scheme == "http" && !cfg.insecure && !isLoopbackHost(u.Hostname()) {
		return nil, invalidArgument("baseURL", baseURL, "uses http:// to a host that is not loopback, "+
			"which would send the token in clear text; use https:// or pass WithInsecureHTTP")
	}
	return newClient(u, cfg)
}

func newClient(u *url.URL, cfg config) (*Client, error) {
	hc := cfg.httpClient
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport()}
	}
	hc = withRedirectGuard(hc)
	logger := cfg.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	// The generated client only builds requests; every request goes
	// through Client.send, which adds the headers and does the retries.
	gen, err := api.NewClient(u.String(), api.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("sdkfinance: build the generated client: %w", err)
	}

	c := &Client{
		baseURL:           u,
		api:               gen,
		httpClient:        hc,
		logger:            logger,
		retry:             cfg.retry,
		budget:            newRetryBudget(cfg.retry.Budget),
		jitter:            randomInt63n,
		pageSize:          cfg.pageSize,
		lookupConcurrency: cfg.lookup,
		maxBody:           cfg.maxBody,
		userAgent:         cfg.userAgent,
		auditHook:         cfg.auditHook,
		requestHook:       cfg.requestHook,
		responseHook:      cfg.responseHook,
	}
	c.auth = newAuthenticator(c, cfg)
	return c, nil
}

// defaultTransport returns a transport like http.DefaultTransport that keeps
// enough idle connections per host for the SDK's own concurrency, so that
// connections are reused rather than opened anew.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(DefaultLookupConcurrency, DefaultBatchConcurrency) * 2
	return t
}

// maxRedirects is how many redirects a request follows, as net/http's
// default policy allows.
const maxRedirects = 10

// withRedirectGuard returns a copy of hc that drops the Authorization
// header when a redirect leaves the scheme, host and port of the first
// request. net/http drops it only for another domain, and keeps it for a
// subdomain or a plain http:// target. The caller's CheckRedirect, if
// any, still decides whether to follow.
func withRedirectGuard(hc *http.Client) *http.Client {
	guarded := *hc
	next := hc.CheckRedirect
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("sdkfinance: stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &guarded
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, invalidArgument("baseURL", raw,
			"is empty; pass the API root, such as https://host/api/v1")
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			// Print no part of the URL or of the parser's reason, which
			// quotes the bad part: it may be user information with a
			// password.
			return nil, invalidArgument("baseURL", "", "is not a valid URL and seems to contain "+
				"user information; pass the API root alone, such as https://host/api/v1")
		}
		return nil, invalidArgument("baseURL", raw, "is not a valid URL: "+urlErrorReason(err))
	}
	// Check the user information first, so that no later error prints a
	// password.
	if u.User != nil {
		return nil, invalidArgument("baseURL", "", "must not contain user information; "+
			"use WithCredentials or WithToken")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, invalidArgument("baseURL", raw,
			"must start with http:// or https://, such as https://host/api/v1")
	}
	if u.Host == "" {
		return nil, invalidArgument("baseURL", raw, "has no host")
	}
	// ForceQuery marks a bare trailing "?". It would stay in the URL, so
	// every operation path would resolve against the parent of the API
	// root.
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, invalidArgument("baseURL", raw, "must not contain a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// urlErrorReason returns the reason inside a *url.Error without repeating
// the URL, which the caller already names.
func urlErrorReason(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// errNotBuilt returns the error of every method of a Client that
// NewClient did not build, such as a zero Client or a nil *Client.
func errNotBuilt() error {
	return invalidOption("Client", "was not built by NewClient; call NewClient to get one")
}

// built reports whether NewClient built c.
func (c *Client) built() bool { return c != nil && c.api != nil }

// BaseURL returns the API root the client sends requests to, without a
// trailing slash, or "" for a Client that NewClient did not build.
func (c *Client) BaseURL() string {
	if !c.built() {
		return ""
	}
	return c.baseURL.String()
}

// String describes the client without any credential.
func (c *Client) String() string {
	if !c.built() {
		return "sdkfinance.Client{not built by NewClient}"
	}
	return fmt.Sprintf("sdkfinance.Client{BaseURL: %q, Auth: %s}", c.baseURL.String(), c.auth.kind())
}

// GoString is like String, so that %#v shows no credential either.
func (c *Client) GoString() string { return c.String() }

// LogValue describes the client for log/slog without any credential.
func (c *Client) LogValue() slog.Value {
	if !c.built() {
		return slog.StringValue(c.String())
	}
	return slog.GroupValue(
		slog.String("base_url", c.baseURL.String()),
		slog.String("auth", c.auth.kind()),
	)
}

// WithHTTPClient sets the HTTP client used for every request, for example
// one whose transport adds tracing. The SDK sets the request's context, so
// the client's Timeout is the only deadline it adds on its own. The default
// is a client with a clone of [http.DefaultTransport].
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return invalidOption("WithHTTPClient", "got a nil *http.Client")
		}
		cfg.httpClient = c
		return nil
	}
}

// WithInsecureHTTP allows a base URL with http:// to a host that is not
// loopback. The token and password then cross the network in clear text,
// so use it only on a network you trust, such as a test cluster.
// http://localhost and http://127.0.0.1 are always allowed.
func WithInsecureHTTP() Option {
	return func(cfg *config) error {
		cfg.insecure = true
		return nil
	}
}

// WithLogger sets the logger for retries, logins and give-ups. The default
// discards everything. No token, password or body is ever logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return invalidOption("WithLogger", "got a nil *slog.Logger")
		}
		cfg.logger = l
		return nil
	}
}

// WithPageSize sets how many records each page request fetches while
// [Client.ResetIdentification] looks through the pending list. The default
// is [DefaultPageSize].
func WithPageSize(n int) Option {
	return func(cfg *config) error {
		if n < 1 || n > maxPageSize {
			return invalidOption("WithPageSize",
				fmt.Sprintf("got %d; pass a size from 1 to %d", n, maxPageSize))
		}
		cfg.pageSize = n
		return nil
	}
}

// WithLookupConcurrency sets how many pages of the pending list
// [Client.ResetIdentification] fetches at once while it looks for a
// request; 1 fetches one page at a time. The default is
// [DefaultLookupConcurrency].
func WithLookupConcurrency(n int) Option {
	return func(cfg *config) error {
		if n < 1 || n > 64 {
			return invalidOption("WithLookupConcurrency", fmt.Sprintf("got %d; pass 1 to 64", n))
		}
		cfg.lookup = n
		return nil
	}
}

// WithMaxResponseBytes caps how many bytes of a response body are read. A
// larger body fails the call with an error matching [ErrInvalidResponse].
// The default is [DefaultMaxResponseBytes].
func WithMaxResponseBytes(n int64) Option {
	return func(cfg *config) error {
		if n < 1024 {
			return invalidOption("WithMaxResponseBytes",
				fmt.Sprintf("got %d; pass at least 1024 bytes", n))
		}
		cfg.maxBody = n
		return nil
	}
}

// WithUserAgent sets the User-Agent header. The default names the SDK and
// its [Version].
func WithUserAgent(ua string) Option {
	return func(cfg *config) error {
		if ua == "" || hasControl(ua) {
			return invalidOption("WithUserAgent", "got an empty value or one with control characters")
		}
		cfg.userAgent = ua
		return nil
	}
}

// drainAndClose reads a little of what is left of a body so that the
// connection can be reused, then closes it.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
