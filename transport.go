package sdkfinance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// operation describes one API call to the send loop.
type operation struct {
	// name is the operationId in openapi.yaml, used in logs.
	name string
	kind opKind
	// auth reports whether the call needs the Authorization header.
	auth bool
	// call sends one attempt through the generated client. edit must be
	// passed on as its request editor.
	call func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error)
}

// response is an HTTP response read whole, with its body closed.
type response struct {
	status     int
	header     http.Header
	body       []byte
	method     string
	path       string
	retryAfter time.Duration
	attempts   int
	// bodyErr is set when the body could not be read whole.
	bodyErr error
}

// send runs op with retries and returns the last response, whatever its
// status, or an error when no response could be had. A 401 on an
// authenticated call is replayed once after a fresh login when the client
// logs in by itself.
func (c *Client) send(ctx context.Context, op operation) (*response, error) {
	replayed := false
	spent := 0 // retry budget tokens this call took
	for attempt := 1; ; attempt++ {
		token, err := c.tokenFor(ctx, op)
		if err != nil {
			return nil, err
		}

		resp, err := c.attempt(ctx, op, attempt, token)
		if resp != nil {
			resp.attempts = attempt
		}
		if err == nil && resp.status == http.StatusUnauthorized && token != "" &&
			!replayed && c.auth.canLogin() {
			c.auth.invalidate(token)
			c.logger.InfoContext(ctx, "sdkfinance: token rejected, logging in again",
				"operation", op.name)
			replayed = true
			attempt-- // A replay after a fresh login is not a retry.
			continue
		}
		if err == nil && !resp.failed(op.kind) {
			c.budget.refund(max(spent, noRetryRefund))
			return resp, nil
		}
		if attempt >= c.retry.MaxAttempts || !c.retryable(ctx, op.kind, resp, err) {
			return c.giveUp(resp, err, attempt)
		}

		wait := c.retryWait(attempt, retryAfterOf(resp))
		if !waitFits(ctx, wait) {
			return c.giveUpBeforeDeadline(resp, err, attempt, wait)
		}
		cost := retryCost
		if attemptTimedOut(ctx, err) {
			cost = timeoutRetryCost
		}
		if !c.budget.take(cost) {
			c.logger.WarnContext(ctx, "sdkfinance: retry budget exhausted, not retrying",
				"operation", op.name, "attempt", attempt)
			return c.giveUp(resp, err, attempt)
		}
		spent += cost
		c.logRetry(ctx, op, attempt, wait, resp, err)
		if serr := sleep(ctx, wait); serr != nil {
			last, lerr := c.giveUp(resp, err, attempt)
			if lerr == nil {
				lerr = newAPIError(last)
			}
			return nil, fmt.Errorf("%w (stopped waiting to retry: %w)", lerr, serr)
		}
	}
}

// attemptTimedOut reports whether err is the end of one attempt's own
// timeout while the caller's context is still live.
func attemptTimedOut(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded)
}

func (c *Client) tokenFor(ctx context.Context, op operation) (string, error) {
	if !op.auth {
		return "", nil
	}
	return c.auth.token(ctx)
}

// failed reports whether the response should go through retry
// classification: a status that some operation retries, or a body that
// could not be read.
func (r *response) failed(kind opKind) bool {
	if r.bodyErr != nil {
		return true
	}
	return shouldRetry(kind, r.status, nil)
}

func (c *Client) retryable(ctx context.Context, kind opKind, resp *response, err error) bool {
	if attemptTimedOut(ctx, err) {
		// The attempt's own timeout: the request may have been processed.
		return kind == safeToRepeat
	}
	if err != nil {
		return shouldRetry(kind, 0, err)
	}
	if resp.bodyErr != nil {
		// The server responded, so the request was processed: only a call
		// that changes nothing may be sent again.
		return kind == safeToRepeat
	}
	return shouldRetry(kind, resp.status, nil)
}

// giveUp returns what the last attempt produced: the response, or the
// transport error annotated with the attempt count.
func (c *Client) giveUp(resp *response, err error, attempts int) (*response, error) {
	if err != nil {
		return nil, &TransportError{Attempts: attempts, Err: err}
	}
	return resp, nil
}

// giveUpBeforeDeadline returns the last attempt's failure, noting that a
// retry was due but its wait would pass the context's deadline. The error
// does not match context.DeadlineExceeded, since the deadline has not
// passed yet.
func (c *Client) giveUpBeforeDeadline(resp *response, err error, attempts int,
	wait time.Duration) (*response, error) {
	last, lerr := c.giveUp(resp, err, attempts)
	if lerr == nil {
		lerr = newAPIError(last)
	}
	return nil, fmt.Errorf("%w (not retried: the wait of %v would pass the context's deadline)",
		lerr, wait.Round(time.Millisecond))
}

func retryAfterOf(resp *response) time.Duration {
	if resp == nil {
		return 0
	}
	return resp.retryAfter
}

func (c *Client) logRetry(ctx context.Context, op operation, attempt int, wait time.Duration,
	resp *response, err error) {
	attrs := []any{"operation", op.name, "attempt", attempt, "wait", wait}
	if err != nil {
		attrs = append(attrs, "error", (&TransportError{Err: err}).Error())
	} else {
		apiErr := newAPIError(resp)
		attrs = append(attrs, "status", resp.status, "code", apiErr.Code, "mdc_id", apiErr.MdcID)
	}
	c.logger.WarnContext(ctx, "sdkfinance: retrying request", attrs...)
}

// attempt sends one request and reads its response whole. A non-nil error
// means no response arrived.
func (c *Client) attempt(ctx context.Context, op operation, n int, token string) (*response, error) {
	if c.retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.retry.AttemptTimeout)
		defer cancel()
	}
	var method, path string
	edit := func(ctx context.Context, req *http.Request) error {
		method, path = req.Method, req.URL.EscapedPath()
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		if token != "" {
			req.Header.Set("Authorization", c.auth.scheme+" "+token)
		}
		if c.requestHook != nil {
			c.requestHook(ctx, RequestInfo{Operation: op.name, Attempt: n}, req)
		}
		return nil
	}

	start := time.Now()
	hr, err := op.call(ctx, edit)
	if err != nil {
		c.callResponseHook(ctx, ResponseInfo{Operation: op.name, Attempt: n, Err: err,
			Duration: time.Since(start)})
		return nil, err
	}
	defer drainAndClose(hr.Body)

	resp := &response{
		status:     hr.StatusCode,
		header:     hr.Header,
		method:     method,
		path:       path,
		retryAfter: parseRetryAfter(hr.Header.Get("Retry-After"), time.Now()),
	}
	resp.body, resp.bodyErr = readBody(hr.Body, c.maxBody, hr.ContentLength)
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		// The check spares every request the attributes' allocations.
		c.logger.DebugContext(ctx, "sdkfinance: request", "operation", op.name, "attempt", n,
			"method", method, "path", path, "status", hr.StatusCode, "duration", time.Since(start))
	}
	c.callResponseHook(ctx, ResponseInfo{Operation: op.name, Attempt: n, StatusCode: hr.StatusCode,
		Header: hr.Header, Err: resp.bodyErr, Duration: time.Since(start)})
	return resp, nil
}

func (c *Client) callResponseHook(ctx context.Context, info ResponseInfo) {
	if c.responseHook != nil {
		c.responseHook(ctx, info)
	}
}

// errBodyTooLarge is wrapped by the error for a body over the size limit.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// readBody reads at most limit bytes of body. size is the body's length
// when the response declared it, else -1. A declared length sizes the
// buffer, so the body is read into one allocation rather than a growing
// buffer. The limit applies either way.
func readBody(body io.Reader, limit, size int64) ([]byte, error) {
	if size < 0 {
		// io.ReadAll grows its buffer in chunks and copies once at the
		// end, which allocates less than growing one slice by append.
		data, err := io.ReadAll(io.LimitReader(body, limit+1))
		if err != nil {
			return data, fmt.Errorf("read response body: %w", err)
		}
		if int64(len(data)) > limit {
			return data[:limit], fmt.Errorf("%w of %d bytes (WithMaxResponseBytes)", errBodyTooLarge, limit)
		}
		return data, nil
	}
	// One byte more than the body, so the read that returns io.EOF has
	// room and needs no larger buffer.
	data := make([]byte, 0, min(size, limit)+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		room := min(int64(cap(data)-len(data)), limit+1-int64(len(data)))
		n, err := body.Read(data[len(data) : len(data)+int(room)])
		data = data[:len(data)+n]
		if err != nil && err != io.EOF {
			return data, fmt.Errorf("read response body: %w", err)
		}
		if int64(len(data)) > limit {
			return data[:limit], fmt.Errorf("%w of %d bytes (WithMaxResponseBytes)", errBodyTooLarge, limit)
		}
		if err == io.EOF {
			return data, nil
		}
	}
}

// TransportError reports a request that got no HTTP response: the
// connection failed, timed out or broke, or the context ended.
type TransportError struct {
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the failure of the last attempt.
	Err error
}

// Error describes the failure without the request URL's query, which the
// SDK never uses, and with the attempt count.
func (e *TransportError) Error() string {
	if e.Err == nil {
		return "sdkfinance: transport error"
	}
	msg := e.Err.Error()
	var ue *url.Error
	if errors.As(e.Err, &ue) {
		msg = ue.Op + " " + redactURL(ue.URL) + ": " + ue.Err.Error()
	}
	if e.Attempts > 1 {
		return truncate(fmt.Sprintf("sdkfinance: %s (after %d attempts)", msg, e.Attempts), maxErrorLen)
	}
	return truncate("sdkfinance: "+msg, maxErrorLen)
}

// Unwrap returns the last attempt's failure.
func (e *TransportError) Unwrap() error { return e.Err }

// redactURL keeps a URL's scheme, host and path and drops the rest.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

// do runs op and decodes a 2xx body into out, which may be nil to ignore
// the body. Any other response becomes an error.
func (c *Client) do(ctx context.Context, op operation, out any) error {
	resp, err := c.send(ctx, op)
	if err != nil {
		return err
	}
	return decodeResponse(resp, out)
}

// decodeResponse turns a response into out or an *APIError.
func decodeResponse(resp *response, out any) error {
	if resp.bodyErr != nil {
		return invalidResponse(resp, resp.bodyErr)
	}
	if resp.status < 200 || resp.status > 299 {
		return newAPIError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return invalidResponse(resp, err)
	}
	return nil
}
