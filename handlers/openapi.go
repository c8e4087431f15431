package handlers

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI describes the JSON API; tests check real responses against it.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the API description.
func OpenAPIDocument() []byte { return openAPI }

// OpenAPI serves the API description at /api/openapi.json.
func (h *Handlers) OpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPI)
}
