package clock

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore keeps an offset as another process's advances would, and
// counts its reads; each read takes a moment, as a round trip does.
type fakeStore struct {
	offset atomic.Int64
	reads  atomic.Int64
}

func (f *fakeStore) TestClockOffset(context.Context) (time.Duration, error) {
	f.reads.Add(1)
	v := f.offset.Load()
	time.Sleep(200 * time.Microsecond)
	return time.Duration(v), nil
}

func (f *fakeStore) AdvanceTestClock(_ context.Context, d time.Duration) (time.Duration, error) {
	return time.Duration(f.offset.Add(int64(d))), nil
}

// A shared clock sees an advance made elsewhere on its very next reading,
// and callers at the same moment share reads instead of queueing one each.
func TestSharedOffsetSeesOtherAdvancesAtOnce(t *testing.T) {
	base := NewFixed(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	store := &fakeStore{}
	c, err := NewStoredOffset(context.Background(), base, store)
	if err != nil {
		t.Fatal(err)
	}
	c.Share()
	for i := 1; i <= 20; i++ {
		store.offset.Add(int64(time.Hour)) // another process advances
		if got := c.Now().Sub(base.Now()); got != time.Duration(i)*time.Hour {
			t.Fatalf("after %d advances elsewhere the clock is %s ahead", i, got)
		}
	}
	store.reads.Store(0)
	var wg sync.WaitGroup
	const callers = 200
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := c.Now().Sub(base.Now()); got != 20*time.Hour {
				t.Errorf("a concurrent reading is %s ahead, want 20h", got)
			}
		}()
	}
	wg.Wait()
	if n := store.reads.Load(); n >= callers {
		t.Errorf("%d readings took %d reads: concurrent readings should share them", callers, n)
	}
}

// An unshared stored clock keeps its advances in the store, for the next
// start, and never reads the store again.
func TestStoredOffsetKeepsAdvances(t *testing.T) {
	base := NewFixed(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	store := &fakeStore{}
	c, _ := NewStoredOffset(context.Background(), base, store)
	if err := c.Advance(context.Background(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	reads := store.reads.Load()
	if got := c.Now().Sub(base.Now()); got != 48*time.Hour || store.reads.Load() != reads {
		t.Fatalf("clock %s ahead after %d reads, want 48h and no read", got, store.reads.Load()-reads)
	}
	again, _ := NewStoredOffset(context.Background(), base, store)
	if got := again.Now().Sub(base.Now()); got != 48*time.Hour {
		t.Fatalf("after a restart the clock is %s ahead, want 48h", got)
	}
}
