using System.Text;
using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;
using Netlab.Web.Servers;

namespace Netlab.Web.Labs.Dns;

public sealed class DnsModule : ILabModule
{
    public LabDefinition Definition => DnsLab.Definition;

    public string Icon => Icons.Material.Filled.Dns;

    public Type? ServerView => typeof(ServerHexDumps);
    /// <summary>A zone file larger than this is refused (the lab's zone is a few hundred bytes).</summary>
    private const int MaxZoneBytes = 1024 * 1024;

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var api = app.MapServerGroup("DNS zone");
        api.MapGet("/zone", (Guid id, ServerManager servers) => TypedResults.Text(Guarded(() => DnsServer(servers, id).ZoneText()), "text/plain; charset=utf-8"))
            .WithSummary("The zone file a DNS server answers from (its own copy of the shared zone).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/zone", SaveZoneAsync)
            .Accepts<string>("text/plain")
            .WithSummary("Replaces a DNS server's zone (text/plain, zone file syntax) and answers from it at once; other servers and the shared file are untouched. A mistake is a 400 naming its line, and nothing changes.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> SaveZoneAsync(Guid id, HttpRequest request, ServerManager servers)
    {
        var dns = DnsServer(servers, id);
        using var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxZoneBytes)
                throw ProblemException.BadRequest($"A zone file is at most {MaxZoneBytes} bytes.");
            body.Write(buffer, 0, read);
        }
        var zone = Guarded(() => dns.SaveZone(Encoding.UTF8.GetString(body.ToArray())));
        return TypedResults.Ok(new { message = $"{zone.Records.Count} records for {string.Join(", ", zone.Apexes)}" });
    }

    private static DnsServer DnsServer(ServerManager servers, Guid id) =>
        servers.Instance(id) as DnsServer ?? throw ProblemException.BadRequest($"Server {id} is a {servers.Get(id).Lab} server; only DNS servers have a zone.");

    /// <summary>A zone mistake or an unreadable file is the user's to fix: 400 with the reason (and the line).</summary>
    private static T Guarded<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (LabException e)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, e is DnsZoneException ? "Zone has a mistake" : "Zone not saved", e.Message);
        }
    }

    public string? Describe(LabEvent e) => e is DnsQueryLogged q
        ? $"{q.Client} {q.Transport.ToString().ToUpperInvariant()} id {q.Id} {q.Name} {q.Type} -> {q.ResponseCode.ToString().ToUpperInvariant()} ({q.ResponseBytes} bytes){(q.Error is null ? "" : ": " + q.Error)}"
        : null;

    public string? ResultLine(RunDto run) => run.Value("rcode") is { } rcode
        ? $"{((DnsResponseCode)(byte)rcode).ToString().ToUpperInvariant()}, {RunSummary.Number(run.Value("answers"))} answer(s) in {RunSummary.Number(run.Value("queryTimeMs"))} ms"
        : null;

    public string? CssClass(LabEvent e) => e is DnsQueryLogged q ? (q.ResponseCode == DnsResponseCode.NoError ? "echoed" : "warning") : null;
}
