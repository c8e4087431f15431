package db

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/billingportal/portal/billing"
)

// SeedCatalogue stores products and plans when the catalogue is empty; an
// existing catalogue is never touched, so seeding is safe on every start.
func (s *Store) SeedCatalogue(ctx context.Context, plans []billing.Plan) error {
	defer s.plans.Store(nil)
	return s.inTx(ctx, func(q queries) error {
		var n int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM plans`).Scan(&n); err != nil || n > 0 {
			return err
		}
		for _, p := range plans {
			features, err := json.Marshal(p.Product.Features)
			if err != nil {
				return err
			}
			if _, err := q.exec(ctx, `INSERT INTO products (id, name, description, features, max_apps, watermark, rank)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, p.Product.ID, p.Product.Name, p.Product.Description,
				string(features), p.Product.MaxApps, boolInt(p.Product.Watermark), p.Product.Rank); err != nil {
				return fmt.Errorf("db: seed product %s: %w", p.Product.Name, err)
			}
			if _, err := q.exec(ctx, `INSERT INTO plans (id, product_id, interval, amount, currency, is_default, active)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Product.ID, p.Interval, p.Price.Amount, p.Price.Currency,
				boolInt(p.IsDefault), boolInt(p.Active)); err != nil {
				return fmt.Errorf("db: seed plan %s: %w", p.ID, err)
			}
		}
		return nil
	})
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
