package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/billingportal/portal/billing"
)

// usedPlans names the plans some subscription has used: one is on it, a
// change to it is scheduled, or a checkout for it (or from it) was opened.
const usedPlans = `SELECT plan_id FROM subscriptions
	UNION SELECT plan_id FROM scheduled_changes
	UNION SELECT plan_id FROM checkout_sessions UNION SELECT from_plan_id FROM checkout_sessions`

// PlanInUseError refuses a catalogue that changes the price or interval of
// plans that subscriptions have used.
type PlanInUseError struct{ Problems []string }

func (e *PlanInUseError) Error() string {
	return "the catalogue changes plans that have subscribers:\n  " + strings.Join(e.Problems, "\n  ")
}

// SyncCatalogue makes the stored catalogue the given one, in one
// transaction: products are matched by key and plans by id, new ones are
// added, plans missing from the list stop taking subscribers (they keep
// the ones they have), and the default plan moves to the given one. A plan
// that subscriptions have used keeps its amount, currency and interval: a
// change to those returns *PlanInUseError and writes nothing.
func (s *Store) SyncCatalogue(ctx context.Context, plans []billing.Plan) error {
	defer s.plans.Store(nil)
	return s.inTx(ctx, func(q queries) error {
		if err := checkUsedPlans(ctx, q, plans); err != nil {
			return err
		}
		productIDs := map[string]int64{}
		for _, p := range plans {
			if _, done := productIDs[p.Product.Key]; done {
				continue
			}
			id, err := upsertProduct(ctx, q, p.Product)
			if err != nil {
				return err
			}
			productIDs[p.Product.Key] = id
		}
		ids := make([]any, 0, len(plans))
		if _, err := q.exec(ctx, `UPDATE plans SET is_default = 0 WHERE is_default = 1`); err != nil {
			return fmt.Errorf("db: clear default plan: %w", err)
		}
		for _, p := range plans {
			if _, err := q.exec(ctx, `INSERT INTO plans (id, product_id, interval, interval_count, amount, currency, is_default, active)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, interval = excluded.interval,
					interval_count = excluded.interval_count, amount = excluded.amount, currency = excluded.currency,
					is_default = excluded.is_default, active = excluded.active`,
				p.ID, productIDs[p.Product.Key], string(p.Interval.Unit), p.Interval.Count, p.Price.Amount, p.Price.Currency,
				boolInt(p.IsDefault), boolInt(p.Active)); err != nil {
				return fmt.Errorf("db: plan %s: %w", p.ID, err)
			}
			ids = append(ids, p.ID)
		}
		if len(ids) == 0 {
			return errors.New("db: an empty catalogue")
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		if _, err := q.exec(ctx, `UPDATE plans SET active = 0 WHERE id NOT IN (`+marks+`)`, ids...); err != nil {
			return fmt.Errorf("db: retire plans left out: %w", err)
		}
		return nil
	})
}

// checkUsedPlans refuses changes to the terms of plans in use.
func checkUsedPlans(ctx context.Context, q queries, plans []billing.Plan) error {
	rows, err := q.query(ctx, `SELECT id, interval, interval_count, amount, currency FROM plans WHERE id IN (`+usedPlans+`)`)
	if err != nil {
		return fmt.Errorf("db: plans in use: %w", err)
	}
	stored, err := scanAll(rows, func(r scanner) (billing.Plan, error) {
		var p billing.Plan
		err := r.Scan(&p.ID, &p.Interval.Unit, &p.Interval.Count, &p.Price.Amount, &p.Price.Currency)
		return p, err
	})
	if err != nil {
		return err
	}
	byID := map[string]billing.Plan{}
	for _, p := range stored {
		byID[p.ID] = p
	}
	var problems []string
	for _, p := range plans {
		old, used := byID[p.ID]
		if !used {
			continue
		}
		var what []string
		if old.Price != p.Price {
			what = append(what, fmt.Sprintf("price %s → %s", old.Price, p.Price))
		}
		if old.Interval != p.Interval {
			what = append(what, fmt.Sprintf("interval every %s → every %s", old.Interval.Phrase(), p.Interval.Phrase()))
		}
		if len(what) > 0 {
			problems = append(problems, fmt.Sprintf("plan %q has subscribers, so its %s cannot change; add a plan with a new id for the new terms and set %q to active: false (its subscribers keep it)",
				p.ID, strings.Join(what, " and "), p.ID))
		}
	}
	if len(problems) > 0 {
		return &PlanInUseError{Problems: problems}
	}
	return nil
}

func upsertProduct(ctx context.Context, q queries, p billing.Product) (int64, error) {
	features, err := json.Marshal(nonNil(p.Features))
	if err != nil {
		return 0, err
	}
	limits, err := json.Marshal(nonNilMap(p.Entitlements.Limits))
	if err != nil {
		return 0, err
	}
	flags, err := json.Marshal(nonNilMap(p.Entitlements.Flags))
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.queryRow(ctx, `INSERT INTO products (key, name, description, features, limits, flags, rank)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET name = excluded.name, description = excluded.description,
			features = excluded.features, limits = excluded.limits, flags = excluded.flags, rank = excluded.rank
		RETURNING id`, p.Key, p.Name, p.Description, string(features), string(limits), string(flags), p.Rank).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: product %s: %w", p.Key, err)
	}
	return id, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// PlanSubscribers counts the subscriptions on each plan, for managers.
func (s *Store) PlanSubscribers(ctx context.Context) (map[string]int, error) {
	rows, err := s.query(ctx, `SELECT plan_id, COUNT(*) FROM subscriptions GROUP BY plan_id`)
	if err != nil {
		return nil, fmt.Errorf("db: plan subscribers: %w", err)
	}
	type count struct {
		plan string
		n    int
	}
	counts, err := scanAll(rows, func(r scanner) (count, error) {
		var c count
		return c, r.Scan(&c.plan, &c.n)
	})
	out := map[string]int{}
	for _, c := range counts {
		out[c.plan] = c.n
	}
	return out, err
}

// SetPlanActive offers or withdraws a plan; withdrawn plans stay on the
// subscriptions that have them but cannot be chosen.
func (s *Store) SetPlanActive(ctx context.Context, id string, active bool) error {
	defer s.plans.Store(nil)
	res, err := s.exec(ctx, `UPDATE plans SET active = ? WHERE id = ?`, boolInt(active), id)
	if err != nil {
		return fmt.Errorf("db: set plan %s active: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("db: plan %s: %w", id, billing.ErrNotFound)
	}
	return nil
}
