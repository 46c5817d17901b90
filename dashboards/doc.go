// Package dashboards generates the Grafana dashboards of a KPI catalog: an
// overview ("KPI wall") with one row per team, one drill-down dashboard per
// team, and a file-provisioning config. Generate is pure: catalog in, SDK
// dashboards out; package output encodes and writes them. Dashboards are built
// with Grafana's foundation SDK and must only query series that the exporter
// or the generated recording rules produce, named by the catalog package.
package dashboards
