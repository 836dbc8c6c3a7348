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
public sealed class HttpServer : LabServer
{
    // Python's http.server listens with a backlog of 5 and stalls under a class's worth of clients.
    private const int Backlog = 1024;

    private readonly HttpSessionContext context;
    private readonly Lock gate = new();
    private readonly Dictionary<Socket, Task> sessions = [];
    private Socket? listener;

    public HttpServer(HttpServerOptions options, ServerContext server) : base("http", server.EndPoint, server.Events)
    {
        Root = new ContentRoot(server.Environment.ContentRoot);
        context = new HttpSessionContext(options, Root, server.Events);
    }

    public ContentRoot Root { get; }

    protected override IPEndPoint Bind(IPEndPoint requested)
    {
        var s = new Socket(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Bind(requested);
            s.Listen(Backlog);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        listener = s;
        Events.Emit(new LogLine(LogSeverity.Info, $"HTTP server on http://{s.LocalEndPoint}/ serving {Root.RootPath}"));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    protected override async Task ServeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener!.AcceptAsync(stoppingToken);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client gave up before we accepted it
            }
            client.NoDelay = true;
            var name = client.RemoteEndPoint?.ToString() ?? "?";
            lock (gate)
            {
                if (sessions.Count >= context.Options.MaxConnections)
                {
                    _ = RefuseAsync(client, name);
                    continue;
                }
                var session = new HttpSession(client, name, context);
                sessions[client] = Task.Run(async () =>
                {
                    try
                    {
                        await session.RunAsync(stoppingToken);
                    }
                    catch (Exception e)
                    {
                        // A bug in one session must not reach the server: log it and drop the connection.
                        Events.Emit(new LogLine(LogSeverity.Error, $"session {name}: {e.GetType().Name}: {e.Message}"));
                    }
                    finally
                    {
                        lock (gate) sessions.Remove(client);
                    }
                }, CancellationToken.None);
            }
        }
    }

    private async Task RefuseAsync(Socket client, string name)
    {
        using (client)
        {
            try
            {
                var body = HttpResponseHead.ErrorPage(503, "Too many connections; try again shortly.");
                var head = new HttpResponseHead(503).Add("Connection", "close").Add("Date", context.Now()).Add("Server", HttpResponseHead.ServerName)
                    .Add("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Add("Content-Type", "text/html; charset=utf-8")
                    .Add("Retry-After", "1");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.SendAsync(head.ToBytes().Concat(body).ToArray(), SocketFlags.None, timeout.Token);
                Events.Emit(new AccessLogEntry(name, "-", "-", 503, body.Length, 0));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }

    protected override void CloseListener() => listener?.Dispose();

    protected override async Task OnStoppedAsync()
    {
        Task[] running;
        lock (gate)
        {
            foreach (var socket in sessions.Keys)
                socket.Dispose();
            running = [.. sessions.Values];
        }
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
