package sandbox

//go:generate go tool -C ../tools oapi-codegen -config ../sandbox/oapi-codegen.yaml ../../openapi.yaml
