using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Labs.Tests.Http;

/// <summary>A lab web server on an ephemeral port over a content root, with its events collected.</summary>
public sealed class RunningHttpServer : IAsyncDisposable
{
    private readonly Task<List<LabEvent>> events;

    private RunningHttpServer(HttpServer server, Task<List<LabEvent>> events)
    {
        Server = server;
        this.events = events;
    }

    public HttpServer Server { get; }
    public IPEndPoint EndPoint => Server.LocalEndPoint!;
    public Uri BaseAddress => new($"http://127.0.0.1:{EndPoint.Port}/");
    public ProbeTarget Target => new("127.0.0.1", IPAddress.Loopback, EndPoint.Port);

    public static async Task<RunningHttpServer> StartAsync(string contentRoot, HttpServerOptions? options = null)
    {
        var server = new HttpServer(options ?? new HttpServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("http", 100_000), new LabEnvironment(contentRoot)));
        await server.StartAsync();
        return new RunningHttpServer(server, Loopback.DrainAsync(server.Events));
    }

    /// <summary>Stops the server and returns everything it reported.</summary>
    public async Task<List<LabEvent>> StopAsync()
    {
        await Server.StopAsync();
        return await events;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public static class Repo
{
    /// <summary>The repository's wwwroot-content/, the lab's default content root.</summary>
    public static string Content { get; } = Find("wwwroot-content");

    private static string Find(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, name)))
            dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException(name), name);
    }
}

public static class RawHttp
{
    /// <summary>Sends bytes as written and reads until the server closes (the timeout only guards against one that never does).</summary>
    public static async Task<string> ExchangeAsync(IPEndPoint server, string request, int timeoutMs = 30_000)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None);
        return await ReadToCloseAsync(socket, timeoutMs);
    }

    public static async Task<string> ReadToCloseAsync(Socket socket, int timeoutMs = 30_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                all.Write(buffer, 0, n);
        }
        catch (SocketException)
        {
        }
        return Encoding.Latin1.GetString(all.ToArray());
    }

    public static int Status(string response) => int.Parse(response.Split(' ', 3)[1]);
}
