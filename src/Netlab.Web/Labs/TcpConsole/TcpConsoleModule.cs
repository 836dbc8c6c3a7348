using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.TcpConsole;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.TcpConsole;

public sealed class TcpConsoleModule : ILabModule
{
    public LabDefinition Definition => TcpConsoleLab.Definition;

    public string Icon => Icons.Material.Filled.Terminal;

    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton<TcpConsoles>();
        services.AddHostedService(sp => sp.GetRequiredService<TcpConsoles>());
    }

    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapTcpConsolesApi();

    public string? Describe(LabEvent e) => e is ConsoleClosed c ? $"closed ({c.By}): {c.Reason}; {c.BytesSent} bytes sent, {c.BytesReceived} received" : null;

    public string? ResultLine(RunDto run) => run.Value("lines") is { } lines
        ? $"{RunSummary.Number(lines)} lines, {RunSummary.Number(run.Value("bytesReceived"))} bytes back"
        : null;
}
