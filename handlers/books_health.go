package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/views"
)

// BooksHealth shows managers the check of the books on the live database:
// a page, or JSON for a script that asks for it (Accept: application/json).
func (h *Handlers) BooksHealth(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		vs, err := h.Billing.CheckBooks(c.Request.Context())
		if err != nil {
			return err
		}
		if c.NegotiateFormat(gin.MIMEHTML, gin.MIMEJSON) == gin.MIMEJSON {
			type violation struct {
				Rule    string `json:"rule"`
				Subject string `json:"subject"`
				Detail  string `json:"detail"`
			}
			out := struct {
				Clean      bool        `json:"clean"`
				Violations []violation `json:"violations"`
			}{Clean: len(vs) == 0, Violations: []violation{}}
			for _, v := range vs {
				out.Violations = append(out.Violations, violation{v.Rule, v.Subject, v.Detail})
			}
			c.JSON(http.StatusOK, out)
			return nil
		}
		p := views.HealthPage{Page: h.basePage(c, "Health of the books"), CheckedAt: h.Wall.Now().Format("2 Jan 2006 15:04:05 UTC")}
		p.Nav = "health"
		for _, v := range vs {
			p.Violations = append(p.Violations, views.ViolationRow{Rule: v.Rule, Subject: v.Subject, Detail: v.Detail})
		}
		if len(vs) > 0 {
			p.Summary = fmt.Sprintf("%d violations: each needs a person to look at it.", len(vs))
		}
		h.render(c, http.StatusOK, views.BooksHealth(p))
		return nil
	})(c)
}
