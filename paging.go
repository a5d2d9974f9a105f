package sdkfinance

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
)

// maxLookupPages bounds how many pages one lookup reads, whatever the
// server reports, so that a server that never ends its list cannot keep a
// call busy for ever.
const maxLookupPages = 10_000

// findPending pages through the pending list until it finds request id.
//
// Paging is by offset, so a request approved by another operator during
// the scan moves every later record one place up, and a record can slip
// from the page not yet read to the page already read. When the server's
// total changes during a scan that did not find id, the scan is repeated
// from the first page, up to maxScans scans in all.
func (c *Client) findPending(ctx context.Context, id string) (*ResetRequest, error) {
	pagesRead := 0
	shifted := false
	for range maxScans {
		q := ListQuery{Status: StatusPending, PageSize: c.pageSize}
		rec, moved, pages, err := c.scan(ctx, q, id)
		pagesRead += pages
		if err != nil || rec != nil {
			return rec, err
		}
		if shifted = moved; !shifted {
			break
		}
	}
	return nil, &NotPendingError{RequestID: id, PagesRead: pagesRead, ListChanged: shifted}
}

// maxScans bounds how often a lookup reads the pending list while other
// operators keep changing it.
const maxScans = 3

// scan reads the list that q selects once from its first page until it
// finds request id. It returns the record when found, whether the total
// changed while it read, and how many pages it read.
//
// The first page reports how many pages there are. With a lookup
// concurrency above 1, the pages after it are then fetched concurrently,
// and the requests still under way are cancelled once one page holds id.
// The outcome is the one a page-by-page scan would have.
func (c *Client) scan(ctx context.Context, q ListQuery, id string) (*ResetRequest, bool, int, error) {
	st := &scanState{id: id}
	q.PageNumber = 0
	first, err := c.ListResetRequests(ctx, q)
	if err != nil {
		return nil, false, 0, err
	}
	st.pages = 1
	if rec := findRecord(first.Records, id); rec != nil {
		return rec, false, 1, nil
	}
	st.firstTotal = first.TotalRecords
	if err := st.note(0, first); err != nil {
		return nil, false, 1, err
	}
	bound := pageBound(first.TotalRecords, q.PageSize, len(first.Records))
	if !morePages(first, 0, q.PageSize) {
		return nil, false, 1, nil
	}

	next := 1
	if c.lookupConcurrency > 1 && first.TotalPages > 2 {
		to := min(first.TotalPages, bound)
		rec, last, err := c.scanConcurrently(ctx, q, st, 1, to)
		if err != nil || rec != nil {
			return rec, false, st.pages, err
		}
		if !morePages(last, to-1, q.PageSize) {
			return nil, st.shifted, st.pages, nil
		}
		next = to
	}
	rec, err := c.scanSequentially(ctx, q, st, next, bound)
	return rec, st.shifted, st.pages, err
}

// scanState records what a scan has learned from the pages it read.
type scanState struct {
	id         string
	firstTotal int64
	shifted    bool // the total changed after the first page
	pages      int  // pages read
	// seen maps the ids of each non-empty page read, joined, to its number.
	seen map[string]int
}

// note records page n, which does not hold the target, and fails when it
// equals a page read before while the total stayed the same, as from a
// server that ignores pageNumber. When the total changed, records moved
// between pages, and pages read out of order can be equal; the caller
// then reads the list again.
func (st *scanState) note(n int, p *ResetRequestPage) error {
	if p.TotalRecords != st.firstTotal {
		st.shifted = true
	}
	if len(p.Records) == 0 {
		return nil
	}
	key := strings.Join(recordIDs(p.Records), "\x00")
	if earlier, ok := st.seen[key]; ok && !st.shifted {
		return fmt.Errorf("sdkfinance: the list returned page %d equal to page %d; "+
			"the server may ignore pageNumber: %w", n, earlier, ErrInvalidResponse)
	}
	if st.seen == nil {
		st.seen = map[string]int{}
	}
	st.seen[key] = n
	return nil
}

// scanSequentially reads pages from, from+1, ... up to bound, one at a
// time.
func (c *Client) scanSequentially(ctx context.Context, q ListQuery, st *scanState,
	from, bound int) (*ResetRequest, error) {
	for page := from; page < bound; page++ {
		q.PageNumber = page
		p, err := c.ListResetRequests(ctx, q)
		if err != nil {
			return nil, err
		}
		st.pages++
		if rec := findRecord(p.Records, st.id); rec != nil {
			return rec, nil
		}
		if err := st.note(page, p); err != nil {
			return nil, err
		}
		if !morePages(p, page, q.PageSize) {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("sdkfinance: the list did not end after %d pages, "+
		"more than its total of records allows: %w", bound, ErrInvalidResponse)
}

// scanConcurrently reads pages from up to to (exclusive) with at most
// c.lookupConcurrency requests in flight. It returns the record from the
// first page found to hold it, else the last page of the range, or the
// first error.
func (c *Client) scanConcurrently(ctx context.Context, q ListQuery, st *scanState, from, to int) (
	*ResetRequest, *ResetRequestPage, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu       sync.Mutex // guards the variables below and st
		found    *ResetRequest
		firstErr error
		lastPage *ResetRequestPage
	)
	var wg sync.WaitGroup
	slots := make(chan struct{}, c.lookupConcurrency)
dispatch:
	for n := from; n < to; n++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break dispatch
		}
		pq := q
		pq.PageNumber = n
		wg.Go(func() {
			defer func() { <-slots }()
			p, err := c.ListResetRequests(ctx, pq)

			mu.Lock()
			defer mu.Unlock()
			if found != nil || firstErr != nil {
				return // the outcome is settled; this page no longer matters
			}
			if err != nil {
				firstErr = err
				cancel()
				return
			}
			st.pages++
			if rec := findRecord(p.Records, st.id); rec != nil {
				found = rec
				cancel()
				return
			}
			if err := st.note(n, p); err != nil {
				firstErr = err
				cancel()
				return
			}
			if n == to-1 {
				lastPage = p
			}
		})
	}
	wg.Wait()

	switch {
	case found != nil:
		return found, nil, nil
	case firstErr != nil:
		return nil, nil, firstErr
	case ctx.Err() != nil:
		return nil, nil, context.Cause(ctx)
	}
	return nil, lastPage, nil
}

func findRecord(records []ResetRequest, id string) *ResetRequest {
	if i := slices.IndexFunc(records, func(r ResetRequest) bool { return r.ID == id }); i >= 0 {
		return &records[i]
	}
	return nil
}

// morePages reports whether a page after p, which is page number page,
// may hold records. A server that reports totalPages as 0 while sending
// records is trusted as long as its pages come full.
func morePages(p *ResetRequestPage, page, pageSize int) bool {
	if len(p.Records) == 0 {
		return false
	}
	if page+1 < p.TotalPages {
		return true
	}
	return p.TotalPages == 0 && len(p.Records) >= pageSize
}

// pageBound returns how many pages a scan may read: enough for the
// reported total of records, with one page to spare for records added
// during the scan, and never more than maxLookupPages.
func pageBound(totalRecords int64, pageSize, firstPageLen int) int {
	size := int64(max(pageSize, firstPageLen, 1))
	if totalRecords <= 0 {
		return maxLookupPages
	}
	pages := (totalRecords+size-1)/size + 1
	return int(min(pages, maxLookupPages))
}

func recordIDs(records []ResetRequest) []string {
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	return ids
}

// ResetRequests returns an iterator over every reset request that q
// selects, from page q.PageNumber on, fetching one page at a time, so it
// holds at most one page of records. It stops at the last page, when the
// loop breaks, or after yielding the first error. q is copied; the caller
// may change it afterwards. Pages are by offset, so a request approved
// during the iteration can shift another one onto a page already read.
//
// An iterator is for one goroutine; the Client behind it is safe for
// concurrent use.
func (c *Client) ResetRequests(ctx context.Context, q ListQuery) iter.Seq2[ResetRequest, error] {
	return func(yield func(ResetRequest, error) bool) {
		if !c.built() {
			yield(ResetRequest{}, errNotBuilt())
			return
		}
		q := q
		if q.PageSize == 0 {
			q.PageSize = c.pageSize
		}
		// Unlike a lookup, the iterator compares each page with the one
		// before only, so that it keeps no more than a page in memory.
		var previousIDs []string
		bound := maxLookupPages
		for read := 0; read < bound; read++ {
			p, err := c.ListResetRequests(ctx, q)
			if err != nil {
				yield(ResetRequest{}, err)
				return
			}
			ids := recordIDs(p.Records)
			if read > 0 && len(ids) > 0 && slices.Equal(ids, previousIDs) {
				yield(ResetRequest{}, fmt.Errorf("sdkfinance: the list returned page %d equal to "+
					"the page before; the server may ignore pageNumber: %w", q.PageNumber, ErrInvalidResponse))
				return
			}
			previousIDs = ids
			if read == 0 {
				bound = pageBound(p.TotalRecords, q.PageSize, len(p.Records))
			}
			for _, r := range p.Records {
				if !yield(r, nil) {
					return
				}
			}
			if !morePages(p, q.PageNumber, q.PageSize) {
				return
			}
			q.PageNumber++
		}
		yield(ResetRequest{}, fmt.Errorf("sdkfinance: the list did not end after %d pages, "+
			"more than its total of records allows: %w", bound, ErrInvalidResponse))
	}
}
