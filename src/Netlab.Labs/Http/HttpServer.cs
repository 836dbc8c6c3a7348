using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Http;

/// <summary>
/// The lab's web server, on plain sockets: GET and HEAD of files under the content root,
/// HTTP/1.0 and 1.1 with keep-alive, every connection served concurrently (the handout's
/// "multithreaded" exercise) and each one bounded in size and time.
/// </summary>
public sealed class HttpServer : TcpLabServer
{
    // Python's http.server listens with a backlog of 5 and stalls under a class's worth of clients.
    private const int Backlog = 1024;

    private readonly HttpSessionContext context;

    public HttpServer(HttpServerOptions options, ServerContext server) : base("http", server.EndPoint, server.Events, Backlog, server.Time)
    {
        Root = new ContentRoot(server.Environment.ContentRoot);
        context = new HttpSessionContext(options, Root, server.Events, server.Time);
    }

    public ContentRoot Root { get; }

    protected override int MaxSessions => context.Options.MaxConnections;

    // A slowloris from one address fills its own share, not the server (issue 16, item 13).
    protected override int MaxSessionsPerAddress => context.Options.MaxConnectionsPerAddress;

    protected override string Listening(EndPoint local) => $"HTTP server on http://{local}/ serving {Root.RootPath}";

    protected override Task ServeSessionAsync(Socket client, string name, CancellationToken stopping) =>
        new HttpSession(client, name, context).RunAsync(stopping);

    protected override async Task RefuseAsync(Socket client, string name, CancellationToken cancellationToken)
    {
        var body = HttpResponseHead.ErrorPage(503, "Too many connections; try again shortly.");
        var head = new HttpResponseHead(503).Add("Connection", "close").Add("Date", context.Now()).Add("Server", HttpResponseHead.ServerName)
            .Add("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Add("Content-Type", "text/html; charset=utf-8")
            .Add("Retry-After", "1");
        await client.SendAsync(head.ToBytes().Concat(body).ToArray(), SocketFlags.None, cancellationToken);
        Events.Emit(new AccessLogEntry(name, "-", "-", 503, body.Length, 0));
    }
}
