package sdkfinance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RetryPolicy sets how failed requests are retried. Which failures are
// retried depends on the operation:
//
//   - Listing and login are retried after connection errors and after
//     429, 502, 503 and 504 responses.
//   - Approve and decline are retried only when the request certainly did
//     not reach the server (the connection could not be made) or the
//     server reported that it did not process it (429 or 503). When the
//     outcome is unknown, the request's state is read back instead, so a
//     retry never approves twice.
//
// Waits grow exponentially from BaseDelay up to MaxDelay, with full jitter:
// each wait is a random duration between zero and the exponential value. A
// Retry-After header replaces the wait, capped at MaxRetryAfter. A wait
// that would pass the context's deadline is not started: the call returns
// the last error at once.
type RetryPolicy struct {
	// MaxAttempts is how many times a request is sent, the first included.
	// 1 turns retries off. Zero means the default, 4.
	MaxAttempts int
	// BaseDelay is the first wait's upper bound. Zero means 200ms.
	BaseDelay time.Duration
	// MaxDelay caps each exponential wait. Zero means 5s.
	MaxDelay time.Duration
	// MaxRetryAfter caps a wait the server requests with Retry-After.
	// Zero means 30s.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds each attempt, from sending the request to
	// reading the whole response, beside the caller's deadline. Zero means
	// no bound of its own. An approve or decline that times out after the
	// request was written has an unknown outcome and is reconciled.
	AttemptTimeout time.Duration
	// Budget is the size of the client's retry budget, a token bucket
	// shared by all its calls. A retry takes 5 tokens, or 10 after a
	// timeout. A call that succeeds gives back what its retries took, or 1
	// token when it needed none. An empty bucket stops retries, but every
	// call's first attempt is still sent, so a long outage does not
	// multiply the load. Zero means 500, and -1 turns the budget off.
	Budget int
}

// DefaultRetryPolicy returns the policy a [Client] uses without
// [WithRetry]: 4 attempts, waits from 200ms up to 5s, Retry-After capped
// at 30s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   4,
		BaseDelay:     200 * time.Millisecond,
		MaxDelay:      5 * time.Second,
		MaxRetryAfter: 30 * time.Second,
		Budget:        500,
	}
}

// WithRetry sets the retry policy. Zero fields take the values of
// [DefaultRetryPolicy]; WithRetry(RetryPolicy{MaxAttempts: 1}) turns
// retries off.
func WithRetry(p RetryPolicy) Option {
	return func(cfg *config) error {
		if p.MaxAttempts < 0 || p.MaxAttempts > 100 {
			return invalidOption("WithRetry",
				fmt.Sprintf("MaxAttempts is %d; pass 1 to 100, or 0 for the default", p.MaxAttempts))
		}
		if p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.AttemptTimeout < 0 {
			return invalidOption("WithRetry", "a duration is negative; pass zero for the default")
		}
		if p.BaseDelay > 0 && p.MaxDelay > 0 && p.BaseDelay > p.MaxDelay {
			return invalidOption("WithRetry", fmt.Sprintf("BaseDelay %v is above MaxDelay %v; "+
				"pass a BaseDelay no longer than MaxDelay", p.BaseDelay, p.MaxDelay))
		}
		if p.Budget < -1 {
			return invalidOption("WithRetry",
				fmt.Sprintf("Budget is %d; pass tokens, 0 for the default or -1 for none", p.Budget))
		}
		cfg.retry = p.withDefaults()
		return nil
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.Budget == 0 {
		p.Budget = d.Budget
	}
	return p
}

// opKind describes what a retry of an operation could do on the server.
type opKind int

const (
	// safeToRepeat operations (listing, login) change nothing, so any
	// transient failure may be retried.
	safeToRepeat opKind = iota
	// changesState operations (approve, decline) are retried only when the
	// server cannot have processed the failed attempt.
	changesState
)

// shouldRetry classifies one failed attempt: a transport error (err) or a
// response with the given status.
func shouldRetry(kind opKind, status int, err error) bool {
	if err != nil {
		if kind == safeToRepeat {
			return isTransient(err)
		}
		return isDialError(err)
	}
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return kind == safeToRepeat
	}
	return false
}

// isTransient reports whether a transport error may pass on a new attempt:
// any but the end of the caller's context. (A per-attempt timeout ends
// only the attempt's context, which send checks apart.)
func isTransient(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// Retry budget costs, as in the retry quota of the AWS SDK for Go v2.
const (
	retryCost        = 5
	timeoutRetryCost = 10
	noRetryRefund    = 1
)

// retryBudget is a token bucket that retries draw from. Its zero value
// is unusable; a nil *retryBudget never runs out.
type retryBudget struct {
	mu     sync.Mutex // guards tokens
	tokens int
	max    int
}

func newRetryBudget(size int) *retryBudget {
	if size < 0 {
		return nil
	}
	return &retryBudget{tokens: size, max: size}
}

// take removes cost tokens and reports whether there were enough.
func (b *retryBudget) take(cost int) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// refund returns tokens after a success, up to the bucket's size.
func (b *retryBudget) refund(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.tokens+n, b.max)
}

// isDialError reports whether err happened while connecting, before any
// byte of the request was written. Only then is a request that changes
// state certain not to have reached the server. (net/http itself already
// retries a request on a reused connection that broke before anything was
// written.)
func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// backoff returns the wait before retry number retry (1 for the first
// retry): a random duration in [0, min(MaxDelay, BaseDelay*2^(retry-1))].
func (c *Client) backoff(retry int) time.Duration {
	ceiling := min(c.retry.BaseDelay, c.retry.MaxDelay)
	for i := 1; i < retry && ceiling < c.retry.MaxDelay; i++ {
		// Stop at MaxDelay before doubling could pass it, so that a
		// MaxDelay near the largest Duration cannot overflow to zero.
		if ceiling > c.retry.MaxDelay/2 {
			ceiling = c.retry.MaxDelay
			break
		}
		ceiling *= 2
	}
	if ceiling <= 0 {
		return 0
	}
	// The jitter bound is ceiling+1, which overflows for the largest
	// Duration.
	ceiling = min(ceiling, math.MaxInt64-1)
	return time.Duration(c.jitter(int64(ceiling) + 1))
}

// retryWait returns how long to wait before the next attempt: the server's
// Retry-After when it sent one, capped, else the jittered backoff.
func (c *Client) retryWait(retry int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.retry.MaxRetryAfter)
	}
	return c.backoff(retry)
}

// parseRetryAfter reads a Retry-After header in either form, delay-seconds
// or an HTTP date. It returns zero for a missing or unreadable value.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// Cap before converting so a huge value cannot overflow.
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitFits reports whether a wait of d ends before ctx's deadline.
func waitFits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

func randomInt63n(n int64) int64 { return rand.Int64N(n) }
