using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Netlab.Labs.Tests.Http;

/// <summary>
/// Deliberately broken web servers, the mistakes students make, for the grader to catch.
/// Each reads one request per connection and answers with whatever its flaw dictates.
/// </summary>
public sealed class BrokenServer : IAsyncDisposable
{
    public enum Flaw
    {
        /// <summary>Answers 200 and the page for every path (no 404).</summary>
        NoNotFound,
        /// <summary>Sends only a status line and Content-Type.</summary>
        MissingHeaders,
        /// <summary>Serves one connection at a time, reading each request to its end (the handout's first version).</summary>
        OneAtATime,
    }

    private readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly byte[] page;

    public BrokenServer(Flaw flaw, byte[] page)
    {
        this.page = page;
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(100);
        loop = flaw == Flaw.OneAtATime ? SequentialAsync() : ConcurrentAsync(flaw);
    }

    public IPEndPoint EndPoint => (IPEndPoint)listener.LocalEndPoint!;

    private async Task SequentialAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            using var client = await listener.AcceptAsync(stop.Token);
            await ServeAsync(client, Flaw.OneAtATime);
        }
    }

    private async Task ConcurrentAsync(Flaw flaw)
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptAsync(stop.Token);
            _ = Task.Run(async () => { using (client) await ServeAsync(client, flaw); });
        }
    }

    private async Task ServeAsync(Socket client, Flaw flaw)
    {
        try
        {
            var head = await ReadHeadAsync(client);
            var parts = head.Split(' ');
            var path = parts.Length > 1 ? parts[1] : "/";
            var found = flaw == Flaw.NoNotFound || path == "/HelloWorld.html";
            var body = found ? page : "<h1>404 Not Found</h1>"u8.ToArray();
            var status = found ? "200 OK" : "404 Not Found";
            var headers = flaw == Flaw.MissingHeaders
                ? $"HTTP/1.1 {status}\r\nContent-Type: text/html\r\n\r\n"
                : $"HTTP/1.1 {status}\r\nConnection: close\r\nDate: {DateTime.UtcNow:r}\r\nServer: broken\r\nLast-Modified: {DateTime.UtcNow:r}\r\nContent-Length: {body.Length}\r\nContent-Type: text/html\r\n\r\n";
            var send = Encoding.ASCII.GetBytes(headers).Concat(parts[0] == "HEAD" ? [] : body).ToArray();
            await client.SendAsync(send, SocketFlags.None, stop.Token);
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
    }

    private async Task<string> ReadHeadAsync(Socket client)
    {
        var data = new List<byte>();
        var buffer = new byte[4096];
        while (!Encoding.ASCII.GetString(data.ToArray()).Contains("\r\n\r\n"))
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
            if (n == 0) break;
            data.AddRange(buffer[..n]);
        }
        return Encoding.ASCII.GetString(data.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Dispose();
        try { await loop; } catch (Exception) { }
    }
}
