package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// maxRate is the highest -rate accepted; above it the interval between
// requests would round to zero nanoseconds.
const maxRate = 1e9

// intervalLimiter is a sdkfinance.RateLimiter that lets one request go
// per interval, the first at once: a token bucket that holds one token.
// It replaces golang.org/x/time/rate, so that the module needs no
// dependency for the example.
type intervalLimiter struct {
	interval time.Duration

	mu   sync.Mutex
	next time.Time // when the next request may go
}

// newIntervalLimiter returns a limiter for perSecond requests per second.
func newIntervalLimiter(perSecond float64) (*intervalLimiter, error) {
	if math.IsNaN(perSecond) || perSecond <= 0 || perSecond > maxRate {
		return nil, fmt.Errorf("rate %v is out of range; pass requests per second above 0 and "+
			"at most %g, or 0 for no limit", perSecond, float64(maxRate))
	}
	return &intervalLimiter{interval: time.Duration(float64(time.Second) / perSecond)}, nil
}

// Wait blocks until the caller's turn, or until ctx is done. A caller that
// gives up keeps its turn, so the next caller still waits for the one after.
func (l *intervalLimiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	delay := l.reserve(time.Now())
	if delay <= 0 {
		return nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve takes the next free turn at or after now and returns how long
// the caller waits for it.
func (l *intervalLimiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next.Before(now) {
		l.next = now
	}
	delay := l.next.Sub(now)
	l.next = l.next.Add(l.interval)
	return delay
}
