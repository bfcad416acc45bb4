"""The message templates Clientela ships with, in its five languages (loaded by a data migration).

Each text is written for its language, not word-for-word: the salutation and closing a
business letter uses there. `occasion` in greetings is a ready wish ("Happy New Year!") so no
language has to decline it.
"""

from __future__ import annotations

from clientela.comms.models import MessageTemplate

SIGNATURE = "{{ manager.full_name }}\n{{ company }}"

DEFAULT_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "acknowledgement": {
        "en": (
            "We have received your message",
            "Dear {{ recipient_name }},\n\n"
            "Thank you for your message. We have received it and are already working on it.\n"
            "{% if promised_at %}You will have a detailed answer by {{ promised_at }} at the latest."
            "{% else %}You will have a detailed answer shortly.{% endif %}\n\n"
            "If anything is urgent, simply reply to this e-mail or call me"
            "{% if manager.phone %} on {{ manager.phone }}{% endif %}.\n\n"
            "Kind regards,\n" + SIGNATURE,
        ),
        "ro": (
            "Am primit mesajul dumneavoastră",
            "Bună ziua, {{ recipient_name }},\n\n"
            "Vă mulțumim pentru mesaj. L-am primit și lucrăm deja la el.\n"
            "{% if promised_at %}Veți primi un răspuns detaliat până la {{ promised_at }}."
            "{% else %}Veți primi în curând un răspuns detaliat.{% endif %}\n\n"
            "Dacă este ceva urgent, răspundeți pur și simplu la acest e-mail sau sunați-mă"
            "{% if manager.phone %} la {{ manager.phone }}{% endif %}.\n\n"
            "Cu stimă,\n" + SIGNATURE,
        ),
        "ru": (
            "Мы получили ваше сообщение",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "Спасибо за ваше сообщение. Мы его получили и уже работаем над ним.\n"
            "{% if promised_at %}Подробный ответ вы получите до {{ promised_at }}."
            "{% else %}Подробный ответ вы получите в ближайшее время.{% endif %}\n\n"
            "Если вопрос срочный, просто ответьте на это письмо или позвоните мне"
            "{% if manager.phone %} по телефону {{ manager.phone }}{% endif %}.\n\n"
            "С уважением,\n" + SIGNATURE,
        ),
        "hu": (
            "Megkaptuk üzenetét",
            "Kedves {{ recipient_name }}!\n\n"
            "Köszönjük üzenetét. Megkaptuk, és már dolgozunk rajta.\n"
            "{% if promised_at %}Részletes válaszunkat legkésőbb eddig küldjük: {{ promised_at }}."
            "{% else %}Hamarosan részletes választ küldünk.{% endif %}\n\n"
            "Ha sürgős, egyszerűen válaszoljon erre az e-mailre, vagy hívjon"
            "{% if manager.phone %} a {{ manager.phone }} számon{% endif %}.\n\n"
            "Üdvözlettel:\n" + SIGNATURE,
        ),
        "ms": (
            "Kami telah menerima mesej anda",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "Terima kasih atas mesej anda. Kami telah menerimanya dan sedang menguruskannya.\n"
            "{% if promised_at %}Anda akan menerima jawapan terperinci sebelum {{ promised_at }}."
            "{% else %}Anda akan menerima jawapan terperinci tidak lama lagi.{% endif %}\n\n"
            "Jika perkara ini mendesak, sila balas e-mel ini atau hubungi saya"
            "{% if manager.phone %} di {{ manager.phone }}{% endif %}.\n\n"
            "Salam hormat,\n" + SIGNATURE,
        ),
    },
    "keep_alive": {
        "en": (
            "A quick update from {{ company }}",
            "Dear {{ recipient_name }},\n\n"
            "I wanted to let you know that we have not forgotten you"
            "{% if deal.title %} or your request “{{ deal.title }}”{% endif %}. We are still working on it "
            "and will come back to you with the next step very soon.\n\n"
            "If you have any questions in the meantime, or something has changed on your side, "
            "just reply to this e-mail.\n\n"
            "Best regards,\n" + SIGNATURE,
        ),
        "ro": (
            "Noutăți de la {{ company }}",
            "Bună ziua, {{ recipient_name }},\n\n"
            "Doresc să vă asigur că nu am uitat de dumneavoastră"
            "{% if deal.title %} și de solicitarea „{{ deal.title }}”{% endif %}. Lucrăm în continuare "
            "și revenim foarte curând cu pasul următor.\n\n"
            "Dacă între timp aveți întrebări sau s-a schimbat ceva la dumneavoastră, "
            "răspundeți pur și simplu la acest e-mail.\n\n"
            "Cu stimă,\n" + SIGNATURE,
        ),
        "ru": (
            "Новости от {{ company }}",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "Хочу сообщить, что мы о вас не забыли и продолжаем работать над вашим запросом"
            "{% if deal.title %} «{{ deal.title }}»{% endif %}. Совсем скоро вернёмся к вам "
            "со следующим шагом.\n\n"
            "Если у вас появились вопросы или что-то изменилось, просто ответьте на это письмо.\n\n"
            "С уважением,\n" + SIGNATURE,
        ),
        "hu": (
            "Rövid tájékoztatás – {{ company }}",
            "Kedves {{ recipient_name }}!\n\n"
            "Szeretném jelezni, hogy nem feledkeztünk meg Önről"
            "{% if deal.title %} és a(z) „{{ deal.title }}” ügyről{% endif %}. Továbbra is dolgozunk rajta, "
            "és hamarosan jelentkezünk a következő lépéssel.\n\n"
            "Ha közben kérdése merülne fel, vagy változott valami az Ön oldalán, "
            "egyszerűen válaszoljon erre az e-mailre.\n\n"
            "Üdvözlettel:\n" + SIGNATURE,
        ),
        "ms": (
            "Makluman ringkas daripada {{ company }}",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "Saya ingin memaklumkan bahawa kami tidak melupakan anda"
            "{% if deal.title %} dan permintaan anda “{{ deal.title }}”{% endif %}. Kami masih "
            "mengusahakannya dan akan menghubungi anda semula dengan langkah seterusnya tidak lama lagi.\n\n"
            "Jika anda mempunyai sebarang pertanyaan atau terdapat perubahan di pihak anda, "
            "sila balas e-mel ini.\n\n"
            "Salam hormat,\n" + SIGNATURE,
        ),
    },
    "farewell": {
        "en": (
            "Thank you for your time",
            "Dear {{ recipient_name }},\n\n"
            "Thank you for considering our offer. We understand it is not the right moment, "
            "and we respect your decision.\n\n"
            "Would you tell us in one click what mattered most? It helps us serve you better next time:\n"
            "{{ questionnaire_url }}\n\n"
            "If your plans change, simply reply to this e-mail.\n\n" + SIGNATURE,
        ),
        "ro": (
            "Vă mulțumim pentru timpul acordat",
            "Bună ziua, {{ recipient_name }},\n\n"
            "Vă mulțumim că ați luat în considerare oferta noastră. Înțelegem că acum nu este "
            "momentul potrivit și vă respectăm decizia.\n\n"
            "Ne puteți spune, printr-un singur clic, ce a contat cel mai mult? "
            "Ne ajută să vă servim mai bine data viitoare:\n"
            "{{ questionnaire_url }}\n\n"
            "Dacă planurile se schimbă, răspundeți pur și simplu la acest e-mail.\n\n" + SIGNATURE,
        ),
        "ru": (
            "Спасибо за уделённое время",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "Спасибо, что рассмотрели наше предложение. Мы понимаем, что сейчас не самый "
            "подходящий момент, и уважаем ваше решение.\n\n"
            "Подскажите, пожалуйста, в один клик, что оказалось для вас главным? "
            "Это поможет нам стать лучше:\n"
            "{{ questionnaire_url }}\n\n"
            "Если ваши планы изменятся, просто ответьте на это письмо.\n\n" + SIGNATURE,
        ),
        "hu": (
            "Köszönjük, hogy időt szánt ránk",
            "Kedves {{ recipient_name }}!\n\n"
            "Köszönjük, hogy megfontolta ajánlatunkat. Megértjük, hogy most nem ez a megfelelő "
            "pillanat, és tiszteletben tartjuk döntését.\n\n"
            "Egyetlen kattintással elárulná, mi volt a legfontosabb szempont? "
            "Ezzel segít, hogy legközelebb jobban kiszolgálhassuk:\n"
            "{{ questionnaire_url }}\n\n"
            "Ha tervei megváltoznak, egyszerűen válaszoljon erre az e-mailre.\n\n" + SIGNATURE,
        ),
        "ms": (
            "Terima kasih atas masa anda",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "Terima kasih kerana mempertimbangkan tawaran kami. Kami faham bahawa sekarang bukan "
            "masa yang sesuai, dan kami menghormati keputusan anda.\n\n"
            "Sudikah anda memberitahu kami dengan satu klik perkara yang paling penting bagi anda? "
            "Ini membantu kami memberikan perkhidmatan yang lebih baik pada masa hadapan:\n"
            "{{ questionnaire_url }}\n\n"
            "Jika rancangan anda berubah, sila balas e-mel ini.\n\n" + SIGNATURE,
        ),
    },
    "follow_up": {
        "en": (
            "Following up on our conversation",
            "Dear {{ recipient_name }},\n\n"
            "I hope all is well. I am following up on our recent conversation"
            "{% if deal.title %} about “{{ deal.title }}”{% endif %}. Is everything going as planned, "
            "and is there anything we can help you with now?\n\n"
            "I would be glad to find a convenient time for a short call.\n\n"
            "Best regards,\n" + SIGNATURE,
        ),
        "ro": (
            "Revin în legătură cu discuția noastră",
            "Bună ziua, {{ recipient_name }},\n\n"
            "Sper că totul este în regulă. Revin în legătură cu discuția noastră recentă"
            "{% if deal.title %} despre „{{ deal.title }}”{% endif %}. Merge totul conform planului "
            "și vă putem ajuta acum cu ceva?\n\n"
            "Mi-ar face plăcere să stabilim un moment potrivit pentru o scurtă convorbire.\n\n"
            "Cu stimă,\n" + SIGNATURE,
        ),
        "ru": (
            "По итогам нашего разговора",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "Надеюсь, у вас всё хорошо. Возвращаюсь к нашему недавнему разговору"
            "{% if deal.title %} о «{{ deal.title }}»{% endif %}. Всё ли идёт по плану и можем ли мы "
            "чем-то помочь сейчас?\n\n"
            "Давайте договоримся о коротком звонке в удобное для вас время.\n\n"
            "С уважением,\n" + SIGNATURE,
        ),
        "hu": (
            "Legutóbbi beszélgetésünk folytatása",
            "Kedves {{ recipient_name }}!\n\n"
            "Remélem, minden rendben van. Legutóbbi beszélgetésünkkel kapcsolatban jelentkezem"
            "{% if deal.title %} („{{ deal.title }}”){% endif %}. Minden a tervek szerint halad? "
            "Segíthetünk most valamiben?\n\n"
            "Szívesen egyeztetnék egy rövid telefonhívást az Önnek alkalmas időpontban.\n\n"
            "Üdvözlettel:\n" + SIGNATURE,
        ),
        "ms": (
            "Susulan perbincangan kita",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "Semoga anda sihat sejahtera. Saya ingin membuat susulan tentang perbincangan kita "
            "baru-baru ini{% if deal.title %} mengenai “{{ deal.title }}”{% endif %}. Adakah semuanya "
            "berjalan seperti yang dirancang, dan adakah apa-apa yang boleh kami bantu sekarang?\n\n"
            "Saya berbesar hati untuk mengatur panggilan ringkas pada masa yang sesuai untuk anda.\n\n"
            "Salam hormat,\n" + SIGNATURE,
        ),
    },
    "greetings": {
        "en": (
            "Warm wishes from {{ company }}",
            "Dear {{ recipient_name }},\n\n"
            "{% if occasion %}{{ occasion }} {% endif %}The whole team at {{ company }} sends you "
            "our warmest wishes: good health, success and many happy moments with the people "
            "who matter to you.\n\n"
            "Thank you for the trust you place in us.\n\n"
            "With best wishes,\n{{ manager.full_name }}",
        ),
        "ro": (
            "Cele mai calde urări de la {{ company }}",
            "Bună ziua, {{ recipient_name }},\n\n"
            "{% if occasion %}{{ occasion }} {% endif %}Întreaga echipă {{ company }} vă transmite "
            "cele mai calde urări: sănătate, succes și multe clipe frumoase alături de cei dragi.\n\n"
            "Vă mulțumim pentru încrederea acordată.\n\n"
            "Cu cele mai bune urări,\n{{ manager.full_name }}",
        ),
        "ru": (
            "Тёплые поздравления от {{ company }}",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "{% if occasion %}{{ occasion }} {% endif %}Вся команда {{ company }} желает вам "
            "здоровья, успехов и много радостных моментов рядом с близкими.\n\n"
            "Спасибо за ваше доверие.\n\n"
            "С наилучшими пожеланиями,\n{{ manager.full_name }}",
        ),
        "hu": (
            "Szívből jövő jókívánságok – {{ company }}",
            "Kedves {{ recipient_name }}!\n\n"
            "{% if occasion %}{{ occasion }} {% endif %}Egész csapatunk nevében jó egészséget, "
            "sikereket és sok szép pillanatot kívánunk Önnek szerettei körében.\n\n"
            "Köszönjük a belénk vetett bizalmát.\n\n"
            "Jókívánságokkal:\n" + SIGNATURE,
        ),
        "ms": (
            "Ucapan ikhlas daripada {{ company }}",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "{% if occasion %}{{ occasion }} {% endif %}Seluruh pasukan {{ company }} mendoakan "
            "kesihatan yang baik, kejayaan dan saat-saat indah bersama insan tersayang.\n\n"
            "Terima kasih atas kepercayaan anda kepada kami.\n\n"
            "Dengan ucapan terbaik,\n{{ manager.full_name }}",
        ),
    },
    "summary": {
        "en": (
            "Summary of our conversation",
            "Dear {{ recipient_name }},\n\n"
            "Thank you for your time today. Here is a short summary of what we agreed:\n\n"
            "{{ points }}\n"
            "{% if next_step %}\nNext step: {{ next_step }}\n{% endif %}\n"
            "If I have missed or misunderstood anything, please let me know.\n\n"
            "Best regards,\n" + SIGNATURE,
        ),
        "ro": (
            "Rezumatul discuției noastre",
            "Bună ziua, {{ recipient_name }},\n\n"
            "Vă mulțumim pentru timpul acordat astăzi. Iată pe scurt ce am convenit:\n\n"
            "{{ points }}\n"
            "{% if next_step %}\nPasul următor: {{ next_step }}\n{% endif %}\n"
            "Dacă am omis sau am înțeles greșit ceva, vă rog să-mi spuneți.\n\n"
            "Cu stimă,\n" + SIGNATURE,
        ),
        "ru": (
            "Итоги нашего разговора",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "Спасибо за уделённое сегодня время. Коротко о том, о чём мы договорились:\n\n"
            "{{ points }}\n"
            "{% if next_step %}\nСледующий шаг: {{ next_step }}\n{% endif %}\n"
            "Если что-то упущено или понято неверно, пожалуйста, дайте знать.\n\n"
            "С уважением,\n" + SIGNATURE,
        ),
        "hu": (
            "Beszélgetésünk összefoglalója",
            "Kedves {{ recipient_name }}!\n\n"
            "Köszönöm a mai beszélgetést. Röviden összefoglalom, miben állapodtunk meg:\n\n"
            "{{ points }}\n"
            "{% if next_step %}\nKövetkező lépés: {{ next_step }}\n{% endif %}\n"
            "Ha valamit kihagytam vagy félreértettem, kérem, jelezze.\n\n"
            "Üdvözlettel:\n" + SIGNATURE,
        ),
        "ms": (
            "Ringkasan perbincangan kita",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "Terima kasih atas masa anda hari ini. Berikut ialah ringkasan perkara yang telah "
            "kita persetujui:\n\n"
            "{{ points }}\n"
            "{% if next_step %}\nLangkah seterusnya: {{ next_step }}\n{% endif %}\n"
            "Jika ada apa-apa yang tertinggal atau tersalah faham, sila maklumkan kepada saya.\n\n"
            "Salam hormat,\n" + SIGNATURE,
        ),
    },
    "survey": {
        "en": (
            "How are we doing, {{ recipient_name }}?",
            "Dear {{ recipient_name }},\n\n"
            "{% if deal.title %}Thank you for choosing us for “{{ deal.title }}”. {% endif %}"
            "Your opinion matters to us: would you take a minute to tell us how we are doing?\n\n"
            "{{ survey_url }}\n\n"
            "It takes a few clicks and needs no sign-in. Every answer is read, and if something "
            "went wrong, we want to put it right.\n\n"
            "Kind regards,\n" + SIGNATURE,
        ),
        "ro": (
            "Cum ne descurcăm, {{ recipient_name }}?",
            "Bună ziua, {{ recipient_name }},\n\n"
            "{% if deal.title %}Vă mulțumim că ne-ați ales pentru „{{ deal.title }}”. {% endif %}"
            "Părerea dumneavoastră contează pentru noi: ne acordați un minut ca să ne spuneți "
            "cum ne descurcăm?\n\n"
            "{{ survey_url }}\n\n"
            "Durează doar câteva clicuri și nu necesită autentificare. Citim fiecare răspuns și, "
            "dacă ceva nu a mers bine, vrem să îndreptăm lucrurile.\n\n"
            "Cu stimă,\n" + SIGNATURE,
        ),
        "ru": (
            "Как мы работаем, {{ recipient_name }}?",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "{% if deal.title %}Спасибо, что выбрали нас для «{{ deal.title }}». {% endif %}"
            "Нам важно ваше мнение: уделите, пожалуйста, минуту и расскажите, как мы работаем.\n\n"
            "{{ survey_url }}\n\n"
            "Это займёт пару кликов, входить в систему не нужно. Мы читаем каждый ответ и, если "
            "что-то пошло не так, хотим это исправить.\n\n"
            "С уважением,\n" + SIGNATURE,
        ),
        "hu": (
            "Hogyan dolgozunk, {{ recipient_name }}?",
            "Kedves {{ recipient_name }}!\n\n"
            "{% if deal.title %}Köszönjük, hogy minket választott ehhez: „{{ deal.title }}”. {% endif %}"
            "Fontos számunkra a véleménye: szánna ránk egy percet, hogy elmondja, hogyan dolgozunk?\n\n"
            "{{ survey_url }}\n\n"
            "Néhány kattintás az egész, bejelentkezés nélkül. Minden választ elolvasunk, és ha "
            "valami nem sikerült, szeretnénk helyrehozni.\n\n"
            "Üdvözlettel:\n" + SIGNATURE,
        ),
        "ms": (
            "Bagaimana prestasi kami, {{ recipient_name }}?",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "{% if deal.title %}Terima kasih kerana memilih kami untuk “{{ deal.title }}”. {% endif %}"
            "Pendapat anda penting bagi kami: sudikah anda meluangkan seminit untuk memberitahu "
            "kami bagaimana prestasi kami?\n\n"
            "{{ survey_url }}\n\n"
            "Ia hanya mengambil beberapa klik dan tidak perlu log masuk. Setiap jawapan dibaca, "
            "dan jika ada yang tidak kena, kami mahu membetulkannya.\n\n"
            "Salam hormat,\n" + SIGNATURE,
        ),
    },
    "exit_survey": {
        "en": (
            "One question before we part",
            "Dear {{ recipient_name }},\n\n"
            "We are sorry that {{ client.name }} no longer works with us. To do better, we would "
            "like to know the real reason — one question, a few clicks, no sign-in:\n\n"
            "{{ survey_url }}\n\n"
            "Thank you for the time we worked together. Our door stays open.\n\n"
            "Kind regards,\n" + SIGNATURE,
        ),
        "ro": (
            "O întrebare înainte să ne despărțim",
            "Bună ziua, {{ recipient_name }},\n\n"
            "Ne pare rău că {{ client.name }} nu mai lucrează cu noi. Ca să ne îmbunătățim, am "
            "vrea să aflăm motivul real — o singură întrebare, câteva clicuri, fără autentificare:\n\n"
            "{{ survey_url }}\n\n"
            "Vă mulțumim pentru colaborare. Ușa noastră rămâne deschisă.\n\n"
            "Cu stimă,\n" + SIGNATURE,
        ),
        "ru": (
            "Один вопрос на прощание",
            "Здравствуйте, {{ recipient_name }}!\n\n"
            "Нам жаль, что {{ client.name }} больше не работает с нами. Чтобы стать лучше, мы "
            "хотели бы узнать настоящую причину — один вопрос, пара кликов, без входа в систему:\n\n"
            "{{ survey_url }}\n\n"
            "Спасибо за время совместной работы. Мы всегда рады вернуться к сотрудничеству.\n\n"
            "С уважением,\n" + SIGNATURE,
        ),
        "hu": (
            "Egy kérdés búcsúzóul",
            "Kedves {{ recipient_name }}!\n\n"
            "Sajnáljuk, hogy a(z) {{ client.name }} már nem dolgozik velünk. Hogy jobbak "
            "lehessünk, szeretnénk megtudni a valódi okot — egyetlen kérdés, néhány kattintás, "
            "bejelentkezés nélkül:\n\n"
            "{{ survey_url }}\n\n"
            "Köszönjük az együttműködést. Ajtónk továbbra is nyitva áll.\n\n"
            "Üdvözlettel:\n" + SIGNATURE,
        ),
        "ms": (
            "Satu soalan sebelum kita berpisah",
            "Salam sejahtera {{ recipient_name }},\n\n"
            "Kami kesal kerana {{ client.name }} tidak lagi berurusan dengan kami. Untuk menjadi "
            "lebih baik, kami ingin tahu sebab sebenarnya — satu soalan, beberapa klik, tanpa "
            "log masuk:\n\n"
            "{{ survey_url }}\n\n"
            "Terima kasih atas kerjasama selama ini. Pintu kami sentiasa terbuka.\n\n"
            "Salam hormat,\n" + SIGNATURE,
        ),
    },
}


def ensure_default_templates() -> int:
    """Create the shipped templates that are missing (the data migration's rows; a test database
    flushed between tests loses them). Returns how many were created."""

    existing = set(MessageTemplate.objects.values_list("key", "language"))
    missing = [
        MessageTemplate(key=key, language=language, subject=subject, body=body + "\n")
        for key, variants in DEFAULT_TEMPLATES.items()
        for language, (subject, body) in variants.items()
        if (key, language) not in existing
    ]
    MessageTemplate.objects.bulk_create(missing)
    return len(missing)
