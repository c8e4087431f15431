package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
)

// InvoicePDF is GET /billing/invoices/{id}.pdf: one of the customer's
// invoices as a PDF. Another customer's id answers 404, like a missing one.
func (h *Handlers) InvoicePDF(c *gin.Context) {
	h.page(func(c *gin.Context) error { return h.sendInvoicePDF(c, customer(c).ID) })(c)
}

// ManageInvoicePDF is GET /manage/customers/{id}/invoices/{id}.pdf: a
// customer's invoice for their account manager, scoped to that customer.
func (h *Handlers) ManageInvoicePDF(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		u, err := h.customerParam(c)
		if err != nil {
			return err
		}
		return h.sendInvoicePDF(c, u.ID)
	})(c)
}

// sendInvoicePDF answers with the invoice named by the :file parameter
// ("{id}.pdf") when it belongs to userID, and 404 otherwise.
func (h *Handlers) sendInvoicePDF(c *gin.Context, userID int64) error {
	raw, ok := strings.CutSuffix(c.Param("file"), ".pdf")
	id, err := strconv.ParseInt(raw, 10, 64)
	if !ok || err != nil || id <= 0 {
		return billing.ErrNotFound
	}
	inv, err := h.Billing.InvoiceForCustomer(c.Request.Context(), userID, id)
	if err != nil {
		return err
	}
	pdf, err := h.InvoicePDFs.Render(inv)
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `inline; filename="`+h.InvoicePDFs.Filename(inv)+`"`)
	c.Data(http.StatusOK, "application/pdf", pdf)
	return nil
}
