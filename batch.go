package sdkfinance

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultBatchConcurrency is how many approves [Client.ResetIdentifications]
// has in flight at once without [BatchOptions.Concurrency].
const DefaultBatchConcurrency = 8

// Target names one reset request for [Client.ResetIdentifications]: the
// user whose identification is reset and their pending request's id.
type Target struct {
	UserID    string `json:"userId"`
	RequestID string `json:"requestId"`
}

// RateLimiter paces requests. *rate.Limiter from golang.org/x/time/rate
// satisfies it.
type RateLimiter interface {
	// Wait blocks until the next request may go, or until ctx is done.
	Wait(ctx context.Context) error
}

// BatchOptions tunes [Client.ResetIdentifications]. The zero value is
// usable.
type BatchOptions struct {
	// Concurrency is how many approves are in flight at once. Zero means
	// DefaultBatchConcurrency.
	Concurrency int
	// Limiter, if set, is waited on before each approve.
	Limiter RateLimiter
	// DryRun checks every target against the pending list and approves
	// nothing. Each found target's result then has Request set and Result
	// nil.
	DryRun bool
	// OnResult, if set, is called once per target as soon as its outcome
	// is known, with the target's index in the input. Calls never overlap,
	// so it may update a progress bar without a lock.
	OnResult func(index int, r BatchResult)
}

// BatchResult is the outcome for one target of a batch.
type BatchResult struct {
	Target Target
	// Request is the pending record the lookup found, or nil.
	Request *ResetRequest
	// Result is the approve's result, or nil on error or in a dry run.
	Result *ResetResult
	// Err explains why the target was not reset: an invalid id, a duplicate
	// target, a request not pending, another user's request, or a failed
	// approve. It matches the same sentinels as the errors of
	// [Client.ResetIdentification].
	Err error
}

// ResetIdentifications resets many identifications in one pass: it reads
// the pending list once, page by page, keeping only the targets' records,
// then approves the targets it found with bounded concurrency and an
// optional rate limit. It returns one result per target, in input order.
//
// The list is read whole before the first approve, because each approve
// takes a record off the pending list and would shift the pages still to
// be read. So the HTTP requests number the pages of the pending list plus
// one approve per found target, plus retries, a login and, after lost
// responses, the reads that reconcile them. Every approve follows the rules
// of [Client.ResetIdentification]: it is never sent twice unless a read
// showed the request still pending.
//
// The error is non-nil when the pending list could not be read or ctx
// ended; the targets it left undecided carry that error too. Invalid
// options give no results and an error matching [ErrInvalidArgument].
func (c *Client) ResetIdentifications(ctx context.Context, targets []Target,
	opts BatchOptions) ([]BatchResult, error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	if opts.Concurrency < 0 {
		return nil, invalidOption("BatchOptions.Concurrency",
			fmt.Sprintf("is %d; pass a positive number, or zero for the default", opts.Concurrency))
	}
	b := &batch{client: c, opts: opts, results: make([]BatchResult, len(targets)),
		decided: make([]bool, len(targets))}
	if b.opts.Concurrency == 0 {
		b.opts.Concurrency = DefaultBatchConcurrency
	}

	wanted := b.checkTargets(targets)
	if len(wanted) == 0 {
		return b.results, nil
	}
	if err := c.auth.requirePermission(ctx, PermissionResetIdentification); err != nil {
		return b.results, b.failRest(err)
	}
	found, pages, err := c.collectPending(ctx, wanted)
	if err != nil {
		return b.results, b.failRest(err)
	}
	jobs := b.matchTargets(wanted, found, pages)
	if opts.DryRun {
		return b.results, nil
	}
	b.approveAll(ctx, jobs)
	return b.results, ctx.Err()
}

// batch is the state of one ResetIdentifications call.
type batch struct {
	client *Client
	opts   BatchOptions

	mu      sync.Mutex // guards results, decided and calls of opts.OnResult
	results []BatchResult
	decided []bool
}

// settle records the outcome of target i and reports it.
func (b *batch) settle(i int, r BatchResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.results[i] = r
	b.decided[i] = true
	if b.opts.OnResult != nil {
		b.opts.OnResult(i, r)
	}
}

// refuse settles target i with err, with an audit event, as no approve is
// sent for it.
func (b *batch) refuse(i int, t Target, rec *ResetRequest, err error) {
	if !b.opts.DryRun {
		b.client.audit("approve", t.UserID, t.RequestID, time.Now(), nil, err)
	}
	b.settle(i, BatchResult{Target: t, Request: rec, Err: err})
}

// checkTargets settles the targets with invalid or repeated ids and
// returns the indexes of the others by request id.
func (b *batch) checkTargets(targets []Target) map[string]int {
	wanted := make(map[string]int)
	for i, t := range targets {
		b.results[i].Target = t
		if err := validateIDs(t.UserID, t.RequestID); err != nil {
			b.refuse(i, t, nil, err)
			continue
		}
		if first, ok := wanted[t.RequestID]; ok {
			b.refuse(i, t, nil, invalidArgument("RequestID", t.RequestID, fmt.Sprintf(
				"repeats targets[%d]; each request is reset once", first)))
			continue
		}
		wanted[t.RequestID] = i
	}
	return wanted
}

// matchTargets settles the targets that are not pending or belong to
// another user and returns the indexes left to approve, in input order.
func (b *batch) matchTargets(wanted map[string]int, found map[string]ResetRequest, pages int) []int {
	var jobs []int
	for i := range b.results {
		t := b.results[i].Target
		if first, ok := wanted[t.RequestID]; !ok || first != i {
			continue // settled by checkTargets
		}
		rec, ok := found[t.RequestID]
		switch {
		case !ok:
			b.refuse(i, t, nil, &NotPendingError{RequestID: t.RequestID, PagesRead: pages})
		case rec.InitiatorUserID != t.UserID:
			b.refuse(i, t, &rec, &UserMismatchError{RequestID: t.RequestID, UserID: t.UserID,
				InitiatorUserID: rec.InitiatorUserID})
		case b.opts.DryRun:
			b.settle(i, BatchResult{Target: t, Request: &rec})
		default:
			b.results[i].Request = &rec
			jobs = append(jobs, i)
		}
	}
	return jobs
}

// approveAll approves the jobs with at most opts.Concurrency in flight.
func (b *batch) approveAll(ctx context.Context, jobs []int) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, b.opts.Concurrency)
	for _, i := range jobs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			_ = b.failRest(ctx.Err())
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			b.approve(ctx, i)
		})
	}
	wg.Wait()
}

func (b *batch) approve(ctx context.Context, i int) {
	b.mu.Lock()
	t, rec := b.results[i].Target, b.results[i].Request
	b.mu.Unlock()

	start := time.Now()
	var res *ResetResult
	err := ctx.Err()
	if err == nil && b.opts.Limiter != nil {
		err = b.opts.Limiter.Wait(ctx)
	}
	if err == nil {
		res, err = b.client.decide(ctx, b.client.approval(), t.UserID, t.RequestID)
	}
	b.client.audit("approve", t.UserID, t.RequestID, start, res, err)
	b.settle(i, BatchResult{Target: t, Request: rec, Result: res, Err: err})
}

// failRest settles every undecided target with err and returns err.
func (b *batch) failRest(err error) error {
	b.mu.Lock()
	var rest []int
	for i, done := range b.decided {
		if !done {
			rest = append(rest, i)
		}
	}
	b.mu.Unlock()
	for _, i := range rest {
		b.settle(i, BatchResult{Target: b.results[i].Target, Request: b.results[i].Request, Err: err})
	}
	return err
}

// collectPending reads the pending list once and returns the records of
// the wanted request ids it holds and how many pages it read. It stops
// early when it has them all. When the list's total changed during the
// read and some are missing, it reads once more for those, as records may
// have moved to pages already read.
func (c *Client) collectPending(ctx context.Context,
	wanted map[string]int) (map[string]ResetRequest, int, error) {
	found := make(map[string]ResetRequest, len(wanted))
	pages := 0
	for pass := 0; pass < 2; pass++ {
		st := &scanState{}
		err := c.readPending(ctx, wanted, found, st)
		pages += st.pages
		if err != nil {
			return nil, pages, err
		}
		if !st.shifted || len(found) == len(wanted) {
			break
		}
	}
	return found, pages, nil
}

// readPending reads the pending list from the first page, adding wanted
// records to found and noting in st what it read.
func (c *Client) readPending(ctx context.Context, wanted map[string]int,
	found map[string]ResetRequest, st *scanState) error {
	q := ListQuery{Status: StatusPending, PageSize: c.pageSize}
	bound := maxLookupPages
	for page := 0; page < bound; page++ {
		q.PageNumber = page
		p, err := c.ListResetRequests(ctx, q)
		if err != nil {
			return err
		}
		st.pages++
		if page == 0 {
			st.firstTotal = p.TotalRecords
			bound = pageBound(p.TotalRecords, q.PageSize, len(p.Records))
		}
		for _, r := range p.Records {
			if _, ok := wanted[r.ID]; ok && (r.Status == StatusPending || r.Status == "") {
				found[r.ID] = r
			}
		}
		if err := st.note(page, p); err != nil {
			return err
		}
		if len(found) == len(wanted) || !morePages(p, page, q.PageSize) {
			return nil
		}
	}
	return fmt.Errorf("sdkfinance: the pending list did not end after %d pages, "+
		"more than its total of records allows: %w", bound, ErrInvalidResponse)
}
