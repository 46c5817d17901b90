package dashboards

// provisioningDir is where the provisioning file expects the dashboards'
// JSON: copy or mount DIR/dashboards/*.json there, and the provisioning file
// into Grafana's provisioning/dashboards directory.
const provisioningDir = "/var/lib/grafana/dashboards/kpi_exporter"

// provisioningComment heads the provisioning file.
const provisioningComment = "Grafana dashboard provisioning: put this file in Grafana's provisioning/dashboards\n" +
	"directory and the generated dashboards/*.json in " + provisioningDir + ".\n"

// Provisioning is Grafana's dashboard provisioning format (apiVersion 1).
type Provisioning struct {
	APIVersion int        `yaml:"apiVersion"`
	Providers  []Provider `yaml:"providers"`
}

// Provider is one dashboard provider of a provisioning file.
type Provider struct {
	Name                  string            `yaml:"name"`
	OrgID                 int               `yaml:"orgId"`
	Folder                string            `yaml:"folder"`
	FolderUID             string            `yaml:"folderUid"`
	Type                  string            `yaml:"type"`
	DisableDeletion       bool              `yaml:"disableDeletion"`
	AllowUIUpdates        bool              `yaml:"allowUiUpdates"`
	UpdateIntervalSeconds int               `yaml:"updateIntervalSeconds"`
	Options               map[string]string `yaml:"options"`
}

// provisioning is the file provider that loads the generated dashboards
// into a "KPIs" folder. UI edits are refused: the catalog is the source.
func provisioning() Provisioning {
	return Provisioning{
		APIVersion: 1,
		Providers: []Provider{{
			Name:                  "kpi_exporter",
			OrgID:                 1,
			Folder:                "KPIs",
			FolderUID:             "kpi-exporter",
			Type:                  "file",
			DisableDeletion:       false,
			AllowUIUpdates:        false,
			UpdateIntervalSeconds: 60,
			Options:               map[string]string{"path": provisioningDir},
		}},
	}
}
