#!/bin/sh
# Made once with GnuPG 2.2.40 (`sh make.sh` in this folder writes the files again, with
# new keys and signatures): a throwaway key in a temporary GNUPGHOME, no passphrase.
#   customer-clearsigned.asc  a customer's letter, `gpg --clearsign` (dash-escapes too)
#   staff-clearsigned.asc     a staff answer with #close, `gpg --clearsign`
#   customer-encrypted.asc    a customer's letter, `gpg --armor --encrypt`
# tests/unit/test_inlinepgp.py and tests/integration/test_inline_pgp_e2e.py read them.
set -eu
GNUPGHOME=$(mktemp -d); export GNUPGHOME
trap 'rm -rf "$GNUPGHOME"' EXIT
gpg -q --batch --passphrase '' --quick-gen-key 'Ivan Petrov <ivan@shop-example.ru>' future-default default never
gpg -q --batch --passphrase '' --quick-gen-key 'Anna <anna@example.com>' future-default default never
printf '%s\n' \
  'Добрый день!' \
  '' \
  'После обновления до 7.0 заказ не оформляется, ошибка 500. Лог:' \
  '--- begin ---' \
  'Exception at line 12' \
  '--- end ---' \
  'From 7.0.1 on the module may work, but we are on 7.0.' \
  '' \
  '-- ' \
  'Иван Петров' \
  | gpg -q --batch --local-user ivan@shop-example.ru --clearsign > customer-clearsigned.asc
printf '%s\n' \
  'Иван, добрый день.' \
  '' \
  'Обновите, пожалуйста, модуль оплаты до 7.0.1:' \
  '- скачайте архив из личного кабинета;' \
  '- распакуйте его в /bitrix/modules.' \
  '#close' \
  '' \
  '-- ' \
  'Анна' \
  | gpg -q --batch --local-user anna@example.com --clearsign > staff-clearsigned.asc
printf '%s\n' 'Добрый день! Пароль от FTP: secret.' \
  | gpg -q --batch --trust-model always --recipient anna@example.com --armor --encrypt \
  > customer-encrypted.asc
