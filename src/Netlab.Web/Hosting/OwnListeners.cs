using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Netlab.Web.Servers;

namespace Netlab.Web.Hosting;

/// <summary>
/// Where this process listens: the portal's own addresses (as the server bound them) and the
/// running lab servers. Handed to the labs as <see cref="Netlab.Labs.Core.LabEnvironment.IsOwnListener"/>,
/// so that FTP's PORT cannot aim a data connection at them (RFC 2577 section 3). Both are resolved
/// when first asked: the environment is built before the server binds and before the ServerManager exists.
/// </summary>
internal sealed class OwnListeners(IServiceProvider services)
{
    public bool Contains(IPEndPoint endPoint) =>
        PortalAddresses().Any(bound => Matches(bound, endPoint))
        || services.GetRequiredService<ServerManager>().FindByEndPoint(endPoint) is not null;

    private IEnumerable<string> PortalAddresses() =>
        services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];

    /// <summary>"http://127.0.0.1:5000", "http://[::]:5000", "http://localhost:5000", "http://*:5000" against an endpoint.</summary>
    internal static bool Matches(string address, IPEndPoint endPoint)
    {
        if (!Uri.TryCreate(address.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || uri.Port != endPoint.Port)
            return false;
        var target = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        if (uri.Host is "any" || uri.IsLoopback && IPAddress.IsLoopback(target))
            return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var bound)
            && (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any) || bound.Equals(target));
    }
}
