using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.Dns;

public sealed class DnsModule : ILabModule
{
    public LabDefinition Definition => DnsLab.Definition;

    public string Icon => Icons.Material.Filled.Dns;

    public Type? ServerView => typeof(ServerHexDumps);

    public string? Describe(LabEvent e) => e is DnsQueryLogged q
        ? $"{q.Client} {q.Transport.ToString().ToUpperInvariant()} id {q.Id} {q.Name} {q.Type} -> {q.ResponseCode.ToString().ToUpperInvariant()} ({q.ResponseBytes} bytes){(q.Error is null ? "" : ": " + q.Error)}"
        : null;

    public string? ResultLine(RunDto run) => run.Value("rcode") is { } rcode
        ? $"{((DnsResponseCode)(byte)rcode).ToString().ToUpperInvariant()}, {RunSummary.Number(run.Value("answers"))} answer(s) in {RunSummary.Number(run.Value("queryTimeMs"))} ms"
        : null;

    public string? CssClass(LabEvent e) => e is DnsQueryLogged q ? (q.ResponseCode == DnsResponseCode.NoError ? "echoed" : "warning") : null;
}
