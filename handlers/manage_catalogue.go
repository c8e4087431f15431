package handlers

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// ManageCatalogue shows managers the catalogue in force: every product and
// plan the database holds (those left out of the file too), its price,
// whether it is on sale and how many subscriptions it has. It is read-only:
// the configuration file is where the catalogue changes.
func (h *Handlers) ManageCatalogue(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		ctx := c.Request.Context()
		plans, err := h.Catalogue.Plans(ctx)
		if err != nil {
			return err
		}
		counts, err := h.Catalogue.PlanSubscribers(ctx)
		if err != nil {
			return err
		}
		p := views.CataloguePage{Page: h.basePage(c, "Catalogue")}
		p.Nav = "catalogue"
		byProduct := map[int64]int{}
		for _, plan := range plans {
			i, ok := byProduct[plan.Product.ID]
			if !ok {
				i = len(p.Products)
				byProduct[plan.Product.ID] = i
				p.Products = append(p.Products, views.CatalogueProduct{Key: plan.Product.Key, Name: plan.Product.Name,
					Description: plan.Product.Description, Rank: strconv.Itoa(plan.Product.Rank), Limits: limits(plan.Product)})
			}
			p.Products[i].Plans = append(p.Products[i].Plans, catalogueRow(plan, counts[plan.ID]))
		}
		h.render(c, 200, views.Catalogue(p))
		return nil
	})(c)
}

func catalogueRow(plan billing.Plan, subscribers int) views.CataloguePlan {
	row := views.CataloguePlan{ID: plan.ID, Price: plan.Price.String(), Interval: "—", Currency: plan.Price.Currency,
		Active: plan.Active, Default: plan.IsDefault, Subscribers: strconv.Itoa(subscribers)}
	if !plan.Free() || plan.Interval.Count > 1 {
		every := plan.Interval.Every()
		row.Interval = strings.ToUpper(every[:1]) + every[1:] // "Every 3 months"
	}
	return row
}
