using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>
/// The certificate STARTTLS presents: a configured PKCS#12 file, or a self-signed one for
/// localhost generated on first start and kept in the data directory, so clients that pin it
/// keep working across restarts.
/// </summary>
public static class SmtpCertificate
{
    public const string GeneratedFileName = "smtp-tls.pfx";
    private static readonly Lock Gate = new();
    private static X509Certificate2? inMemory;

    public static X509Certificate2 Load(SmtpServerOptions options, string? dataDirectory)
    {
        if (options.CertificateFile is { } file)
        {
            if (dataDirectory is null)
                throw new LabException("certificateFile needs a data directory, and this host has none.");
            var path = Path.Combine(dataDirectory, file);
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw new LabException($"certificateFile '{file}' cannot be loaded from the data directory: {e.Message}");
            }
        }
        lock (Gate)
        {
            if (dataDirectory is null)
                return inMemory ??= Generate();
            var generated = Path.Combine(dataDirectory, GeneratedFileName);
            if (File.Exists(generated))
            {
                try
                {
                    var existing = X509CertificateLoader.LoadPkcs12FromFile(generated, null);
                    if (existing.NotAfter > DateTime.Now.AddDays(1))
                        return existing;
                }
                catch (CryptographicException)
                {
                    // Unreadable: make a new one.
                }
            }
            var certificate = Generate();
            File.WriteAllBytes(generated, certificate.Export(X509ContentType.Pkcs12));
            return certificate;
        }
    }

    private static X509Certificate2 Generate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Netlab SMTP lab (self-signed)", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
        // Re-imported so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
