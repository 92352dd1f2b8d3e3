"""File name extensions people and programs use: what of a name's ending after its last
dot is an extension, and what is a part of the name.

A kept file is named by its type (attachments._named_as_what_it_is): an extension is
replaced by the type's (IMG_0001.HEIC that is a JPEG: IMG_0001.jpg), any other ending
keeps its place and the type's extension follows it. macOS names a screenshot
«Снимок экрана 2026-12-04 в 10.15.32», whose seconds are no extension to drop.
"""

from __future__ import annotations

from maild.domain.filerules import TYPES

# Lower case, without the dot. Not every extension there is: those a mail's file is
# likely to carry, and every one Windows or macOS runs or opens as a program (a
# picture named so is renamed: cmd and mshta read past its bytes to commands after).
# The extensions of the types the rule names (.jpg, .jfif, .zip) are filerules.TYPES'.
_RULES = " ".join(e[1:] for spec in TYPES.values() for e in spec.extensions)
_PICTURES = """
    pjpeg pjp apng dib tif tiff webp heic heif hif avif
    jxl jp2 j2k svg svgz ico icns cur psd ai eps emf wmf pcx tga xcf raw dng cr2 cr3
    nef arw orf rw2 raf
"""
_ARCHIVES = """
    zipx 7z gz gzip tgz bz2 tbz tbz2 xz txz lz lzma zst tar cab arj lzh z cpio
    iso img vhd vhdx dmg sit sitx ace uue
"""
_DOCUMENTS = """
    pdf doc docx docm dot dotx dotm rtf odt ott ods ots odp otp odg otg odf xls xlsx
    xlsm xlsb xlt xltx xltm xla xlam xll csv tsv ppt pptx pptm pps ppsx ppsm pot potx
    potm ppam vsd vsdx vsdm pub xps oxps epub fb2 djvu djv mobi pages numbers key one
    txt text log md ini cfg conf config yaml yml toml json xml xsd xsl html htm xhtml
    mht mhtml eml msg ics vcf tex chm hlp
"""
_MEDIA = """
    mp3 wav ogg oga opus flac aac m4a wma amr mid midi mp4 m4v mov avi mkv webm wmv flv
    3gp mpg mpeg ttf otf woff woff2
"""
_DATA = """
    sql db sqlite sqlite3 mdb accdb bak dump tmp dat bin cer crt der pem key csr p7b
    p7c p7m p7s p12 pfx asc gpg pgp sig 1cd cf cfe cfu dt epf erf mxl geo
"""
# Programs and scripts (Windows, macOS, Linux, Android, Java).
_PROGRAMS = """
    exe com bat cmd scr pif msi msp mst msc msix appx appxbundle cpl dll sys ocx drv
    hta js jse vbs vbe wsf wsh wsc ps1 psm1 psd1 lnk url reg inf ins isp scf shs shb
    gadget application diagcab settingcontent-ms library-ms website iqy slk sldm
    jar class apk aab xapk ipa app pkg command tool workflow sh bash zsh csh ksh run
    deb rpm appimage py pyw pl rb php lua
"""

KNOWN: frozenset[str] = frozenset(
    " ".join((_RULES, _PICTURES, _ARCHIVES, _DOCUMENTS, _MEDIA, _DATA, _PROGRAMS)).split()
)


def split_extension(name: str) -> tuple[str, str]:
    """(the name before its extension, the extension with its dot, as written), or
    (name, "") when what follows its last dot is no known extension (the seconds of
    «… в 10.15.32», «версия 1.5») or nothing stands before that dot."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in KNOWN:
        return stem, dot + extension
    return name, ""
