using MudBlazor;
using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Web.Labs.Ftp;

public sealed class FtpModule : ILabModule
{
    public LabDefinition Definition => FtpLab.Definition;

    public string Icon => Icons.Material.Filled.FolderOpen;

    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton<FtpConsoles>();
        services.AddHostedService(sp => sp.GetRequiredService<FtpConsoles>());
    }

    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapFtpConsolesApi();

    public string? Describe(LabEvent e) => e is FtpTransfer f
        ? string.Create(CultureInfo.InvariantCulture, $"{f.Session} {f.Mode.ToString().ToLowerInvariant()} {f.Direction.ToString().ToLowerInvariant()} {f.Path}: {f.Bytes} bytes in {f.DurationMs:F1} ms ({f.BytesPerSecond / 1e6:F2} MB/s){(f.Completed ? "" : $", FAILED: {f.Error}")}")
        : null;

    public string? ResultLine(Netlab.Web.Runs.RunDto run) => run.Value("commands") is { } commands
        ? $"{RunSummary.Number(commands)} commands, {RunSummary.Number(run.Value("failed"))} failed, {RunSummary.Number(run.Value("bytesDown"))} bytes down, {RunSummary.Number(run.Value("bytesUp"))} up"
        : null;

    public string? CssClass(LabEvent e) => e is FtpTransfer f ? (f.Completed ? "echoed" : "dropped") : null;
}
