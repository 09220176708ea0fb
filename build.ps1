<#
.SYNOPSIS
  Builds spoolgate for Windows and Linux (amd64 and arm64) with the version
  and commit stamped in, after running the tests; signs the Windows
  executables with signtool when a certificate is given. No C compiler is
  needed. With -Package, also the MSI (x64 and arm64, with the WiX Toolset
  3.14: candle and light), the zip and tar.gz archives and SHA256SUMS, as
  bash .ci/package does on Linux (which also builds the .deb and .rpm).

.EXAMPLE
  .\build.ps1
      Runs go vet and the tests, then builds into dist\:
      spoolgate-windows-amd64.exe, spoolgate-windows-arm64.exe,
      spoolgate-linux-amd64, spoolgate-linux-arm64.

.EXAMPLE
  .\build.ps1 -Version 1.2.0 -CertFile code-signing.pfx -CertPassword (Read-Host -AsSecureString "PFX password")
      The same, stamped 1.2.0, with the .exe files signed and timestamped.

.EXAMPLE
  .\build.ps1 -SkipTests -Targets windows/amd64
      Only the Windows amd64 executable, without running the tests.

.EXAMPLE
  .\build.ps1 -Package -CertFile code-signing.pfx -CertPassword (Read-Host -AsSecureString "PFX password")
      The four executables, then spoolgate-VERSION-x64.msi and
      spoolgate-VERSION-arm64.msi (from packaging\spoolgate.wxs), the zip and
      tar.gz archives and SHA256SUMS in dist\; the .exe and .msi files signed.
      Needs the WiX Toolset 3.14 (candle.exe and light.exe on PATH, or -WixBin).
#>
[CmdletBinding()]
param(
    [string]$Version = "",
    [string]$OutDir = "dist",
    [string[]]$Targets = @("windows/amd64", "windows/arm64", "linux/amd64", "linux/arm64"),
    [switch]$SkipTests,
    [string]$CertFile = "",
    [SecureString]$CertPassword,
    [string]$TimestampUrl = "http://timestamp.digicert.com",
    [switch]$Package,
    [string]$WixBin = ""
)

$ErrorActionPreference = "Stop"
Set-Location -Path $PSScriptRoot

function Invoke-Checked {
    param([string]$What, [scriptblock]$Block)
    & $Block
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

if (-not (Get-Command go -ErrorAction SilentlyContinue)) {
    throw "Go is not installed or not on PATH: install Go 1.26 or newer."
}

# The version as .ci/package makes it: the last tag vX.Y.Z (X.Y.Z, or
# X.Y.Z+N.gCOMMIT after it), or 0.0.0+gCOMMIT without one.
$Commit = (git rev-parse "--short=7" HEAD 2>$null)
if (-not $Commit) { $Commit = "" }
if ($Version -eq "") {
    $described = (git describe --tags --match "v[0-9]*" 2>$null)
    if ($described -match '^v(\d+\.\d+\.\d+)$') {
        $Version = $Matches[1]
    } elseif ($described -match '^v(\d+\.\d+\.\d+)-(\d+)-(g[0-9a-f]+)$') {
        $Version = "$($Matches[1])+$($Matches[2]).$($Matches[3])"
    } elseif ($Commit -ne "") {
        $Version = "0.0.0+g$Commit"
    } else {
        $Version = "dev"
    }
}
if ($Package) {
    if ($Version -notmatch '^(\d+\.\d+\.\d+)([+~][0-9A-Za-z.]+)?$') { throw "-Package needs a version X.Y.Z[+...]; got '$Version'" }
    $MsiVersion = $Matches[1]
    foreach ($t in @("windows/amd64", "windows/arm64", "linux/amd64", "linux/arm64")) {
        if ($Targets -notcontains $t) { throw "-Package builds all four targets; leave -Targets out" }
    }
}

$env:CGO_ENABLED = "0"

if (-not $SkipTests) {
    Remove-Item Env:\GOOS -ErrorAction SilentlyContinue
    Remove-Item Env:\GOARCH -ErrorAction SilentlyContinue
    Invoke-Checked "go vet" { go vet ./... }
    Invoke-Checked "go test" { go test ./... }
}

if (-not (Test-Path $OutDir)) { New-Item -ItemType Directory -Path $OutDir | Out-Null }

$built = @()
foreach ($target in $Targets) {
    $parts = $target.Split("/")
    if ($parts.Count -ne 2) { throw "a target is OS/ARCH, e.g. windows/amd64; got '$target'" }
    $goos = $parts[0]
    $goarch = $parts[1]
    $name = "spoolgate-$goos-$goarch"
    if ($goos -eq "windows") { $name += ".exe" }
    $out = Join-Path $OutDir $name
    $env:GOOS = $goos
    $env:GOARCH = $goarch
    Invoke-Checked "go build $target" { go build -trimpath -ldflags "-s -w -X main.version=$Version -X main.commit=$Commit" -o $out ./cmd/spoolgate }
    $built += $out
    Write-Host "built $out"
}
Remove-Item Env:\GOOS -ErrorAction SilentlyContinue
Remove-Item Env:\GOARCH -ErrorAction SilentlyContinue

$plain = ""
if ($CertFile -ne "") {
    if (-not (Get-Command signtool -ErrorAction SilentlyContinue)) {
        throw "signtool is not on PATH: install the Windows SDK signing tools, or build without -CertFile."
    }
    if ($CertPassword) {
        $plain = [Runtime.InteropServices.Marshal]::PtrToStringAuto(
            [Runtime.InteropServices.Marshal]::SecureStringToBSTR($CertPassword))
    }
}

function Invoke-Sign {
    param([string]$File)
    if ($CertFile -eq "") { return }
    Invoke-Checked "signing $File" { signtool sign /f $CertFile /p $plain /fd SHA256 /tr $TimestampUrl /td SHA256 $File }
    Write-Host "signed $File"
}

foreach ($exe in ($built | Where-Object { $_.EndsWith(".exe") })) {
    Invoke-Sign $exe
}

if (-not $Package) {
    Write-Host "spoolgate ${Version}: $($built.Count) executable(s) in $OutDir"
    exit 0
}

# -Package: the MSI for each Windows architecture, from packaging\spoolgate.wxs
# as wixl reads it on Linux, with the elements wixl lacks (in comments
# starting with WIX) uncommented for WiX.
$candle = "candle.exe"
$light = "light.exe"
if ($WixBin -ne "") {
    $candle = Join-Path $WixBin "candle.exe"
    $light = Join-Path $WixBin "light.exe"
}
if (-not (Get-Command $candle -ErrorAction SilentlyContinue)) {
    throw "the WiX Toolset 3.14 is not installed (candle.exe not found): install it, or pass -WixBin FOLDER."
}
$work = Join-Path ([IO.Path]::GetTempPath()) ("spoolgate-package-" + [Guid]::NewGuid().ToString("N"))
New-Item -ItemType Directory -Path $work | Out-Null
try {
    $wxs = Join-Path $work "spoolgate.wxs"
    $source = Get-Content -Raw -Path (Join-Path $PSScriptRoot "packaging\spoolgate.wxs")
    $source = [regex]::Replace($source, '<!--WIX (.*?) -->', '$1')
    Set-Content -Path $wxs -Value $source -Encoding UTF8

    $products = @()
    foreach ($arch in @("x64", "arm64")) {
        $goarch = "amd64"
        if ($arch -eq "arm64") { $goarch = "arm64" }
        $exe = (Resolve-Path (Join-Path $OutDir "spoolgate-windows-$goarch.exe")).Path
        $obj = Join-Path $work "spoolgate-$arch.wixobj"
        $msi = Join-Path $OutDir "spoolgate-$Version-$arch.msi"
        Invoke-Checked "candle $arch" { & $candle -nologo -arch $arch "-dVersion=$MsiVersion" "-dFullVersion=$Version" "-dExe=$exe" -out $obj $wxs }
        Invoke-Checked "light $arch" { & $light -nologo -out $msi $obj }
        Invoke-Sign $msi
        $products += $msi
        Write-Host "packed $msi"
    }

    # The archives for those who install by hand: the program, the README,
    # the docs and the examples (the files git knows, without Go source).
    $payload = @(git ls-files README.md docs examples | Where-Object { -not $_.EndsWith(".go") })
    if ($payload.Count -eq 0) { throw "git ls-files listed nothing: run build.ps1 in a git checkout" }
    foreach ($target in $Targets) {
        $parts = $target.Split("/")
        $goos = $parts[0]
        $goarch = $parts[1]
        $name = "spoolgate-$Version-$goos-$goarch"
        $dir = Join-Path $work $name
        foreach ($f in $payload) {
            $dest = Join-Path $dir $f
            New-Item -ItemType Directory -Force -Path (Split-Path $dest) | Out-Null
            Copy-Item -Path $f -Destination $dest
        }
        if ($goos -eq "windows") {
            Copy-Item -Path (Join-Path $OutDir "spoolgate-$goos-$goarch.exe") -Destination (Join-Path $dir "spoolgate.exe")
            $archive = Join-Path $OutDir "$name.zip"
            if (Test-Path $archive) { Remove-Item $archive }
            Compress-Archive -Path $dir -DestinationPath $archive
        } else {
            Copy-Item -Path (Join-Path $OutDir "spoolgate-$goos-$goarch") -Destination (Join-Path $dir "spoolgate")
            $archive = Join-Path $OutDir "$name.tar.gz"
            Invoke-Checked "tar $name" { tar.exe -czf $archive -C $work $name }
        }
        $products += $archive
        Write-Host "packed $archive"
    }
} finally {
    Remove-Item -Recurse -Force -Path $work -ErrorAction SilentlyContinue
}

# SHA256SUMS, in the format of sha256sum (lower-case hash, two spaces, name).
$sums = foreach ($f in ($built + $products)) {
    $h = (Get-FileHash -Algorithm SHA256 -Path $f).Hash.ToLowerInvariant()
    "$h  $(Split-Path -Leaf $f)"
}
$sumsFile = Join-Path $OutDir "SHA256SUMS"
[IO.File]::WriteAllText((Join-Path (Resolve-Path $OutDir).Path "SHA256SUMS"), (($sums -join "`n") + "`n"))
Write-Host "spoolgate ${Version}: $($built.Count + $products.Count) files in $OutDir, with $sumsFile (the .deb and .rpm are built on Linux: bash .ci/package)"
