using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Features;
using Netlab.Web.Data;

namespace Netlab.Web.Hosting;

/// <summary>
/// Tries the portal's own ports before the host starts. Kestrel finds a port in use only inside
/// the host's start, which logs the failure with its stack trace before Program can say anything;
/// checked here first, the user gets one line. (A port taken in the instant between the check and
/// Kestrel's bind still ends in Program's catch, with the host's log first.)
/// </summary>
public static class PortCheck
{
    public static void ThrowIfInUse(IConfiguration configuration)
    {
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls) || configuration.GetSection("Kestrel:Endpoints").Exists())
            return;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri) || uri.Port <= 0)
                continue;
            IPAddress[] addresses = uri.Host is "localhost" ? [IPAddress.Loopback]
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) ? [literal]
                : [];
            foreach (var address in addresses)
            {
                using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    probe.Bind(new IPEndPoint(address, uri.Port));
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    throw new StartupProblemException(
                        $"port {uri.Port} ({url}) is already in use. Stop what uses that port, or choose another with --urls http://localhost:PORT.");
                }
                catch (SocketException)
                {
                    // Not ours to judge (e.g. no IPv6 here): Kestrel says what is wrong with it.
                }
            }
        }
    }
}
