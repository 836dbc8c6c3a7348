using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.PortScan;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.PortScan;

public sealed class PortScanModule : ILabModule
{
    public LabDefinition Definition => PortScanLab.Definition;

    public string Icon => Icons.Material.Filled.ManageSearch;

    public Type? RunView(ProbeKind probe) => typeof(PortScanView);

    /// <summary>No endpoints of its own: this is where the portal's setting for the largest scan is read, once at start-up.</summary>
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<int?>("Netlab:PortScan:MaxPorts") is { } max and > 0)
            PortScanOptions.MaxPorts = Math.Min(max, 65_535);
    }

    public string? Describe(LabEvent e) => e is PortResult p
        ? $"{p.Port}/tcp {p.State.ToString().ToLowerInvariant()} {p.Service ?? ""}".TrimEnd()
        : null;

    public string? CssClass(LabEvent e) => e is PortResult p ? p.State switch { PortState.Open => "echoed", PortState.Filtered => "warning", _ => null } : null;

    public string? ResultLine(RunDto run) => run.Value("ports") is { } ports
        ? $"{RunSummary.Number(run.Value("open"))} open, {RunSummary.Number(run.Value("closed"))} closed, {RunSummary.Number(run.Value("filtered"))} filtered of {RunSummary.Number(ports)}"
        : null;
}
