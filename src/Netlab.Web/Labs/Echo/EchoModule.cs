using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.Echo;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.Echo;

public sealed class EchoModule : ILabModule
{
    public LabDefinition Definition => EchoLab.Definition;

    public string Icon => Icons.Material.Filled.SwapHoriz;

    public Type? RunView(ProbeKind probe) => typeof(EchoClientView);

    public string? Describe(LabEvent e) => e switch
    {
        EchoSeen s => $"{s.Client} ({s.Transport}) {s.Length} bytes \"{s.Text}\" -> \"{s.Reply}\"{(s.Writes > 1 ? $" in {s.Writes} writes" : "")}",
        EchoChunk c => $"{(c.Line == 0 ? "before any line" : $"line {c.Line}")}, recv {c.Chunk}: {c.Length} bytes \"{c.Text}\" at {c.AtMs:F3} ms",
        _ => null,
    };

    public string? CssClass(LabEvent e) => e is EchoSeen or EchoChunk ? "echoed" : null;

    public string? ResultLine(RunDto run) => run.Value("lines") is { } lines
        ? $"{RunSummary.Number(run.Value("answered"))}/{RunSummary.Number(lines)} lines answered, {RunSummary.Number(run.Value("chunks"))} recv()s"
        : null;
}
